"""The contract's enumerations with their Chinese labels (`core.labels`), and the state groups."""

from __future__ import annotations

from renshe.contracts import rules
from renshe.core import labels

SIGNED_STATES = ("effective", "superseded", "terminated")
OPEN_STATES = ("draft", "worker_signed", "effective")
STATE_LABELS = labels.register("contracts.state", {
    "draft": "待劳动者签署", "worker_signed": "待用人单位签署", "effective": "已生效",
    "superseded": "已变更（被新版本取代）", "terminated": "已解除或终止"})
KIND_LABELS = labels.register("contracts.kind", {"new": "新订立", "amendment": "变更", "renewal": "续订"})
TERM_LABELS = labels.register("contracts.term_kind", rules.TERM_KINDS)
ROLE_LABELS = labels.register("contracts.role", {"worker": "劳动者（乙方）", "employer": "用人单位（甲方）"})
REASON_LABELS = labels.register("contracts.termination_reason", rules.termination_reasons())
WARNING_LABELS = labels.register("contracts.warning", {
    "no_contract": "用工超过一个月未订立书面劳动合同（劳动合同法第八十二条：二倍工资风险）",
    "expiring": "固定期限劳动合同30日内到期"})
