"""Tables of the one-network service hall (一网通办): the item catalog with its national specification
versions and local adaptations, applications, their materials, transitions and decision snapshots."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from renshe.core.db import Base, UTCDateTime, utcnow
from renshe.core.models import new_public_id


class NationalSpec(Base):
    """One published version of the national unified specification of an item (国家统一规范). Immutable."""

    __tablename__ = "hall_national_specs"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), index=True)  # 事项编码
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    case_type: Mapped[str] = mapped_column(String(16))  # immediate 即办件 | promised 承诺件
    legal_limit_days: Mapped[int] = mapped_column(Integer)  # 法定时限（工作日）
    guide: Mapped[dict[str, Any]] = mapped_column(JSON)  # the standard fields of the item
    form: Mapped[dict[str, Any]] = mapped_column(JSON)  # JSON Schema (2020-12 subset) with layout hints
    materials: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    workflow: Mapped[dict[str, Any]] = mapped_column(JSON)
    change_note: Mapped[str] = mapped_column(String(500), default="")
    published_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HallItem(Base):
    """A local catalog entry (本地事项): the province's (or a city's) adaptation of a national item."""

    __tablename__ = "hall_items"
    __table_args__ = (UniqueConstraint("code", "division_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    division_code: Mapped[str] = mapped_column(String(6))  # the division that adapted it
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(40))
    case_type: Mapped[str] = mapped_column(String(16))
    legal_limit_days: Mapped[int] = mapped_column(Integer)
    promised_limit_days: Mapped[int] = mapped_column(Integer)  # 承诺时限（工作日），≤ 法定时限
    based_on_version: Mapped[int] = mapped_column(Integer)  # the national version it adapts
    # Set when a newer national version is published: adapt by this date (6 months); None when current.
    adaptation_due: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | suspended
    current_revision: Mapped[int] = mapped_column(Integer, default=1)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ItemRevision(Base):
    """One immutable revision of a local item: what an application was filed against."""

    __tablename__ = "hall_item_revisions"
    __table_args__ = (UniqueConstraint("item_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("hall_items.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    national_version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    case_type: Mapped[str] = mapped_column(String(16))
    legal_limit_days: Mapped[int] = mapped_column(Integer)
    promised_limit_days: Mapped[int] = mapped_column(Integer)
    guide: Mapped[dict[str, Any]] = mapped_column(JSON)
    form: Mapped[dict[str, Any]] = mapped_column(JSON)
    materials: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    workflow: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[HallItem] = relationship()


class Application(Base):
    """An application for an item (办件). Form data is stored encrypted; it may hold ID and bank numbers."""

    __tablename__ = "hall_applications"
    __table_args__ = (
        Index("ix_hall_applications_queue", "division_code", "state"),
        Index("ix_hall_applications_due", "state", "due_date"),
        # 超期督办 scans by state and due date within a division prefix (set-based, see supervision.py).
        Index("ix_hall_applications_supervision", "state", "due_date", "division_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # 办件编号
    item_id: Mapped[int] = mapped_column(ForeignKey("hall_items.id"))
    revision_id: Mapped[int] = mapped_column(ForeignKey("hall_item_revisions.id"))
    item_code: Mapped[str] = mapped_column(String(40), index=True)
    item_name: Mapped[str] = mapped_column(String(100))
    case_type: Mapped[str] = mapped_column(String(16))
    applicant_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    applicant_name: Mapped[str] = mapped_column(String(64))
    applicant_id_masked: Mapped[str] = mapped_column(String(18))
    # The citizen who filed it for the applicant (代办), or None.
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # online | window | proxy
    created_by: Mapped[str] = mapped_column(String(64))  # subject of whoever filed it
    division_code: Mapped[str] = mapped_column(String(6))  # handling division (县级)
    state: Mapped[str] = mapped_column(String(32))
    form_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    prefill: Mapped[dict[str, Any]] = mapped_column(JSON)  # locked fields: resource, source, updated_at
    representation: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # 代办 / 窗口代录 authorisation
    supplement_request: Mapped[list[str] | None] = mapped_column(JSON)  # 补正 list while waiting
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    promised_limit_days: Mapped[int] = mapped_column(Integer)
    legal_limit_days: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date | None] = mapped_column(Date)
    paused_workdays: Mapped[int] = mapped_column(Integer, default=0)
    paused_since: Mapped[date | None] = mapped_column(Date)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decision: Mapped[str | None] = mapped_column(String(16))  # approved | refused
    decision_reason: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivery_method: Mapped[str | None] = mapped_column(String(32))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set at the decision: working days from acceptance to decision (less 补正 pauses), and whether it
    # was decided by the promised due date; the supervision statistics aggregate these in SQL.
    elapsed_workdays: Mapped[int | None] = mapped_column(Integer)
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    bundle_id: Mapped[int | None] = mapped_column(ForeignKey("hall_bundle_applications.id"), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    revision: Mapped[ItemRevision] = relationship()

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Material(Base):
    """A material (申请材料): an upload checked by content type and stored by its SM3 digest, or a
    certificate taken from the electronic certificate library (电子证照库) instead of a file, recorded by
    its identifier with its state at submission (`source` = certificate; `sm3` is then the digest of
    the certificate's signed JWS, and nothing is stored on disk)."""

    __tablename__ = "hall_materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("hall_applications.id"), index=True)
    material_code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sm3: Mapped[str] = mapped_column(String(64))
    stored_as: Mapped[str] = mapped_column(String(200))  # path under the hall upload directory
    round: Mapped[int] = mapped_column(Integer, default=0)  # 0: with the application; n: n-th 补正
    source: Mapped[str] = mapped_column(String(16), default="upload", server_default="upload")  # upload|certificate
    certificate_identifier: Mapped[str | None] = mapped_column(String(100), index=True)
    # name, number, type code, issuer, validity and status (with its label) when it was taken
    certificate: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Transition(Base):
    """One step of an application's workflow (办件流转记录), in order."""

    __tablename__ = "hall_transitions"
    __table_args__ = (UniqueConstraint("application_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("hall_applications.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    actor_name: Mapped[str] = mapped_column(String(64))
    actor_kind: Mapped[str] = mapped_column(String(16))
    division_code: Mapped[str] = mapped_column(String(6))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DecisionSnapshot(Base):
    """What a decision (办结) was made on: form data, material digests, prefill provenance. Encrypted,
    with the SM3 digest of the plaintext so any later change is detectable."""

    __tablename__ = "hall_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("hall_applications.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    result_number: Mapped[str] = mapped_column(String(40), unique=True)  # 结果文书编号
    snapshot_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    snapshot_sm3: Mapped[str] = mapped_column(String(64))


class BundleApplication(Base):
    """One submission of a one-thing bundle (一件事): the sub-applications point here."""

    __tablename__ = "hall_bundle_applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    bundle_code: Mapped[str] = mapped_column(String(40))
    bundle_name: Mapped[str] = mapped_column(String(100))
    applicant_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SupervisionNotice(Base):
    """A supervision notice (督办通知) on an overdue application; level 1 goes to the handling office,
    each escalation (升级督办) adds the next level, addressed to the parent division."""

    __tablename__ = "hall_supervision_notices"
    __table_args__ = (UniqueConstraint("application_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("hall_applications.id"))
    level: Mapped[int] = mapped_column(SmallInteger)
    handling_division: Mapped[str] = mapped_column(String(6), index=True)  # the office that must act
    supervising_division: Mapped[str] = mapped_column(String(6), index=True)  # who follows it up
    issued_by: Mapped[str] = mapped_column(String(64))
    issued_on: Mapped[date] = mapped_column(Date)
    escalate_on: Mapped[date] = mapped_column(Date, index=True)  # still overdue then: escalate
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | escalated | closed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Review(Base):
    """A 好差评 rating of one handling: one per application (一事一评 online, 一次一评 at the window)."""

    __tablename__ = "hall_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("hall_applications.id"), unique=True)
    division_code: Mapped[str] = mapped_column(String(6), index=True)
    item_code: Mapped[str] = mapped_column(String(40))
    level: Mapped[int] = mapped_column(SmallInteger)  # 5 非常满意 … 1 非常不满意
    scores: Mapped[dict[str, int]] = mapped_column(JSON)
    comment: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(16))  # online | window
    rated_by: Mapped[str] = mapped_column(String(64))
    rated_on: Mapped[date] = mapped_column(Date)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Rectification(Base):
    """A rectification case (差评整改) opened by a bad review: callback, deadline, outcome, publication."""

    __tablename__ = "hall_rectifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    review_id: Mapped[int] = mapped_column(ForeignKey("hall_reviews.id"), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("hall_applications.id"))
    division_code: Mapped[str] = mapped_column(String(6), index=True)
    item_code: Mapped[str] = mapped_column(String(40))
    opened_on: Mapped[date] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | called_back | closed
    callback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    callback_by: Mapped[str | None] = mapped_column(String(64))
    callback_note: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(16))  # rectified | explained | unfounded | appealed
    outcome_note: Mapped[str | None] = mapped_column(Text)
    closed_on: Mapped[date | None] = mapped_column(Date)
    on_time: Mapped[bool | None] = mapped_column(Boolean)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    public_summary: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeedbackTicket(Base):
    """Problem feedback (问题反馈): rule differences, data contradictions, system faults."""

    __tablename__ = "hall_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    kind: Mapped[str] = mapped_column(String(24))  # rule_difference | data_conflict | system_fault
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    item_code: Mapped[str | None] = mapped_column(String(40))
    raised_by: Mapped[str] = mapped_column(String(64))
    raised_by_name: Mapped[str] = mapped_column(String(64))
    raised_kind: Mapped[str] = mapped_column(String(16))  # staff | citizen
    origin_division: Mapped[str] = mapped_column(String(6))
    division_code: Mapped[str] = mapped_column(String(6), index=True)  # the division it is assigned to
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | assigned | resolved | closed
    deadline: Mapped[date | None] = mapped_column(Date)
    assigned_by: Mapped[str | None] = mapped_column(String(64))
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PeerNode(Base):
    """Another province's node for 跨省通办, with the shared secret (encrypted) that signs our calls."""

    __tablename__ = "hall_peer_nodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    province_code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    base_url: Mapped[str] = mapped_column(String(300))
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InterprovinceLink(Base):
    """An application that crosses provinces: `forwarded` here (we collected it) or `received` (we handle
    it for the origin). The origin's application id makes every exchange idempotent."""

    __tablename__ = "hall_interprovince_links"
    __table_args__ = (UniqueConstraint("peer_province", "role", "origin_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("hall_applications.id"), unique=True)
    peer_province: Mapped[str] = mapped_column(String(6))
    role: Mapped[str] = mapped_column(String(16))  # forwarded | received
    mode: Mapped[str] = mapped_column(String(16))  # collect 代收代办 | joint 两地联办
    origin_ref: Mapped[str] = mapped_column(String(32))  # the origin province's application public id
    remote_ref: Mapped[str | None] = mapped_column(String(32))  # the handler's application public id
    remote_number: Mapped[str | None] = mapped_column(String(32))
    remote_state: Mapped[str | None] = mapped_column(String(32))
    remote_state_label: Mapped[str | None] = mapped_column(String(64))
    remote_decision: Mapped[str | None] = mapped_column(String(16))
    remote_reason: Mapped[str | None] = mapped_column(Text)
    remote_seq: Mapped[int] = mapped_column(Integer, default=0)
    remote_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PeerMessage(Base):
    """The outbound queue to peer nodes (forwarded applications, status callbacks), sent after commit
    and retried until the peer acknowledges; the body is encrypted (it carries form data)."""

    __tablename__ = "hall_peer_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    peer_province: Mapped[str] = mapped_column(String(6))
    kind: Mapped[str] = mapped_column(String(16))  # application | status | transfer
    # None for a message of no hall application (转移接续 steps)
    link_id: Mapped[int | None] = mapped_column(ForeignKey("hall_interprovince_links.id"), index=True)
    body_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProxyAuthorisation(Base):
    """Consent of a person (the grantor, 被代办人) to an agent (代办人) filing applications in their name:
    a standing authorisation the grantor gave on their own page (`standing`: scope and expiry, revocable),
    or the proof of a one-time code the grantor passed on (`code`: one item, used once, short-lived)."""

    __tablename__ = "hall_proxy_authorisations"
    __table_args__ = (Index("ix_hall_proxy_authorisations_pair", "agent_id", "grantor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    grantor_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    kind: Mapped[str] = mapped_column(String(16))  # standing | code
    item_code: Mapped[str | None] = mapped_column(String(40))  # None: every item
    relation: Mapped[str] = mapped_column(String(16))  # schemas.RELATIONSHIPS
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
