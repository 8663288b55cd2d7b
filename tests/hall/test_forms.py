"""Forms as data: the schema subset, per-field Chinese messages, locked fields."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from renshe.hall import forms
from renshe.hall.applications import materials as hall_materials
from renshe.hall.catalog import service as hall_catalog

SCHEMA = {
    "$schema": forms.SCHEMA_DIALECT, "type": "object",
    "required": ["name", "separation_date", "reason", "account", "pledge"],
    "properties": {
        "name": {"title": "姓名", "type": "string", "maxLength": 8, "prefill": "name"},
        "separation_date": {"title": "离职日期", "type": "string", "format": "date"},
        "reason": {"title": "失业原因", "type": "string", "enum": ["a", "b"], "enumNames": ["期满", "解除"]},
        "account": {"title": "银行账号", "type": "string", "pattern": "^\\d{16,19}$", "patternHint": "16至19位数字"},
        "months": {"title": "缴费月数", "type": "integer", "minimum": 12, "maximum": 600},
        "note": {"title": "说明", "type": "string", "minLength": 2},
        "pledge": {"title": "承诺", "type": "boolean"},
    },
    "groups": [{"title": "申请人", "fields": ["name"]},
               {"title": "失业情况", "fields": ["separation_date", "reason", "account", "months", "note", "pledge"]}],
}
FIELDS = forms.check_schema(SCHEMA)


def messages(submitted: dict[str, object], locked: dict[str, object] | None = None) -> dict[str, str]:
    _, errors = forms.validate(FIELDS, submitted, locked or {})
    return {e.field.removeprefix("data."): e.message for e in errors}


def test_every_broken_rule_is_reported_per_field_in_chinese_naming_the_field() -> None:
    found = messages({"name": "", "separation_date": "2026-02-30", "reason": "c", "account": "12 34",
                      "months": "3", "note": "x"})
    assert found == {
        "name": "请填写“姓名”（必填项）",
        "separation_date": "“离职日期”应为有效日期，格式为YYYY-MM-DD",
        "reason": "“失业原因”的取值不在可选范围内，请从列表中选择",
        "account": "“银行账号”格式不正确：16至19位数字",
        "months": "“缴费月数”不能小于12",
        "note": "“说明”至少应有2个字符",
        "pledge": "请确认“承诺”（必填项）",
    }


def test_type_and_upper_bounds() -> None:
    found = messages({"name": "张三丰张三丰张三丰", "months": "十二", "reason": ""})
    assert found["name"] == "“姓名”最多8个字符"
    assert found["months"] == "“缴费月数”应为整数"
    assert found["reason"] == "请选择“失业原因”（必填项）"
    assert messages({"months": 601})["months"] == "“缴费月数”不能大于600"


def test_valid_form_is_coerced_to_types() -> None:
    clean, errors = forms.validate(FIELDS, {"name": "张三", "separation_date": "2026-10-31", "reason": "a",
                                            "account": "6222020200112233445", "months": "36", "pledge": "true",
                                            "unknown": "dropped"}, {})
    assert errors == []
    assert clean == {"name": "张三", "separation_date": "2026-10-31", "reason": "a",
                     "account": "6222020200112233445", "months": 36, "pledge": True}


@given(st.one_of(st.none(), st.text(max_size=30), st.integers(), st.booleans()))
def test_a_locked_field_always_takes_the_platform_value(submitted: object) -> None:
    clean, errors = forms.validate(FIELDS, {"name": submitted}, {"name": "王秀英"})
    assert clean["name"] == "王秀英"
    assert not any(e.field == "data.name" for e in errors)


@given(st.text(alphabet="0123456789", min_size=0, max_size=25))
def test_pattern_accepts_exactly_16_to_19_digits(account: str) -> None:
    found = messages({"account": account}).get("account")
    if account == "":
        assert found == "请填写“银行账号”（必填项）"
    elif 16 <= len(account) <= 19:
        assert found is None
    else:
        assert found == "“银行账号”格式不正确：16至19位数字"


def test_schema_outside_the_subset_is_refused() -> None:
    with pytest.raises(forms.SchemaError):
        forms.check_schema({**SCHEMA, "properties": {**SCHEMA["properties"], "x": {"title": "X", "oneOf": []}},
                            "groups": [{"title": "", "fields": [*SCHEMA["properties"], "x"]}]})
    with pytest.raises(forms.SchemaError):
        forms.check_schema({**SCHEMA, "groups": [{"title": "", "fields": ["name"]}]})  # fields left unplaced
    with pytest.raises(forms.SchemaError):
        forms.check_schema({"type": "object", "properties": {"d": {"title": "D", "format": "email"}}})


def test_shipped_item_forms_are_in_the_subset_and_prefill_known_fields() -> None:
    from renshe.sharing.service import PREFILL_FIELDS

    definitions = hall_catalog.catalog_files()
    assert len(definitions) >= 10
    for definition in definitions:
        fields = forms.check_schema(definition["national"]["form"])
        assert {f.prefill for f in fields if f.prefill} <= set(PREFILL_FIELDS), definition["code"]
        assert definition["local"]["promised_limit_days"] <= definition["national"]["legal_limit_days"]
        assert definition["national"]["guide"]["legal_basis"], definition["code"]


def test_magic_bytes_decide_the_type_not_the_name() -> None:
    assert hall_materials.sniff(b"%PDF-1.7 ...") == ("application/pdf", "pdf")
    assert hall_materials.sniff(b"\x89PNG\r\n\x1a\n....") == ("image/png", "png")
    assert hall_materials.sniff(b"\xff\xd8\xff\xe0....") == ("image/jpeg", "jpg")
    assert hall_materials.sniff(b"MZ\x90\x00 pretend.pdf") is None
