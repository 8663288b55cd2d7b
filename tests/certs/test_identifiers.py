from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from renshe.certs import identifiers, service
from renshe.core import ids

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
USCC_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@st.composite
def credit_codes(draw: st.DrawFn) -> str:
    first17 = draw(st.sampled_from(["11", "12", "91", "52"])) + draw(st.sampled_from(["110000", "110105", "330106"])) \
        + draw(st.text(USCC_BODY, min_size=9, max_size=9))
    return first17 + ids.credit_code_check_character(first17)


@st.composite
def identifier_parts(draw: st.DrawFn) -> tuple[str, str, str, int]:
    kind = draw(st.sampled_from(sorted(t.code for t in service.cert_types().values())))
    serial = draw(st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=32))
    return kind, draw(credit_codes()), serial, draw(st.integers(1, 999))


def test_the_published_example_check_character() -> None:
    # A live Zhejiang identifier's segments (standards.md); its check character is recomputed here.
    value = identifiers.build("11100000000013338W009", "11330105002500287C", "2025052201", 2).value
    assert value.startswith("1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.")
    assert identifiers.parse(value.lower()).version == 2


@settings(max_examples=200, deadline=None)
@given(identifier_parts())
def test_built_identifiers_are_accepted(parts: tuple[str, str, str, int]) -> None:
    built = identifiers.build(*parts)
    assert identifiers.parse(built.value) == built


@settings(max_examples=200, deadline=None)
@given(identifier_parts(), st.sampled_from(ALNUM))
def test_a_changed_check_character_is_rejected_naming_the_expected_one(parts: tuple[str, str, str, int],
                                                                        other: str) -> None:
    built = identifiers.build(*parts)
    if other == built.check:
        return
    with pytest.raises(ids.IdentifierError) as caught:
        identifiers.parse(built.value[:-1] + other)
    assert caught.value.rule == "check-character"
    assert f"校验位应为{built.check}" in caught.value.detail


@settings(max_examples=100, deadline=None)
@given(identifier_parts(), st.data())
def test_a_changed_serial_character_is_caught_by_the_check(parts: tuple[str, str, str, int],
                                                          data: st.DataObject) -> None:
    built = identifiers.build(*parts)
    position = data.draw(st.integers(0, len(built.serial) - 1))
    replacement = data.draw(st.sampled_from([c for c in ALNUM if c != built.serial[position]]))
    serial = built.serial[:position] + replacement + built.serial[position + 1:]
    changed = f"{identifiers.PREFIX}.{built.type_code}.{built.issuer_code}.{serial}.{built.version:03d}.{built.check}"
    with pytest.raises(ids.IdentifierError) as caught:
        identifiers.parse(changed)
    assert caught.value.rule == "check-character"


@pytest.mark.parametrize(("value", "rule"), [
    ("2.16.156.1.2.3", "prefix"),
    ("1.2.156.3005.2.11100000000013338W003.11100000000013338W.1", "segments"),
    ("1.2.156.3005.2.11100000000013338X003.11100000000013338W.1.001.A", "type-code"),
    ("1.2.156.3005.2.11100000000013338W003.11100000000013338X.1.001.A", "issuer-code"),
    ("1.2.156.3005.2.11100000000013338W003.11100000000013338W.1-2.001.A", "serial"),
    ("1.2.156.3005.2.11100000000013338W003.11100000000013338W.1.000.A", "version"),
])
def test_each_rule_is_named(value: str, rule: str) -> None:
    with pytest.raises(ids.IdentifierError) as caught:
        identifiers.parse(value)
    assert caught.value.rule == rule


def test_cli_check_identifier() -> None:
    from renshe.cli import app

    good = identifiers.build("11100000000013338W003", "11100000000013338W", "202600000001", 1)
    runner = CliRunner()
    ok = runner.invoke(app, ["certs", "check-identifier", good.value])
    assert ok.exit_code == 0, ok.output
    assert "职业技能等级证书" in ok.output
    wrong = next(c for c in ALNUM if c != good.check)
    bad = runner.invoke(app, ["certs", "check-identifier", good.value[:-1] + wrong])
    assert bad.exit_code == 1
    assert f"校验位应为{good.check}" in bad.output
    assert "check-character" in bad.output
