"""Certificate identifiers (证照标识, GB/T 36904-2018 as implemented by the provinces).

    1.2.156.3005.2.<type code: 21>.<issuer code: 18>.<serial>.<version: 3>.<check: 1>

The type code is the defining authority's unified social credit code and a 3-digit sequence; the
issuer code is the issuing authority's credit code; the check character is ISO/IEC 7064 MOD 37,36
over type code + issuer code + serial + version (`stdnum.iso7064.mod_37_36`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum.cn import uscc
from stdnum.iso7064 import mod_37_36

from renshe.core.ids import IdentifierError

PREFIX = "1.2.156.3005.2"
KIND = "cert-identifier"
SERIAL = re.compile(r"^[0-9A-Z]{1,32}$")
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass(frozen=True)
class CertIdentifier:
    type_code: str
    issuer_code: str
    serial: str
    version: int
    check: str

    @property
    def value(self) -> str:
        return f"{PREFIX}.{self.type_code}.{self.issuer_code}.{self.serial}.{self.version:03d}.{self.check}"


def check_character(type_code: str, issuer_code: str, serial: str, version: int) -> str:
    """The MOD 37,36 check character over the four coded segments."""
    return str(mod_37_36.calc_check_digit(f"{type_code}{issuer_code}{serial}{version:03d}"))


def build(type_code: str, issuer_code: str, serial: str, version: int) -> CertIdentifier:
    """Compose an identifier (the segments are checked as `parse` would)."""
    ident = CertIdentifier(type_code, issuer_code, serial, version,
                           check_character(type_code, issuer_code, serial, version))
    return parse(ident.value)


def _fail(rule: str, zh: str, en: str) -> IdentifierError:
    return IdentifierError(KIND, rule, zh, en, field="identifier")


def credit_code_ok(code: str) -> bool:
    return len(code) == 18 and all(c in USCC_ALPHABET for c in code) and bool(uscc.is_valid(code))


def parse(value: str) -> CertIdentifier:
    """Validate an identifier and return its parts, or raise `IdentifierError` naming the broken rule."""
    text = (value or "").strip().upper()
    if not text.startswith(PREFIX + "."):
        raise _fail("prefix", f"证照标识应以 {PREFIX}. 开头", f"an identifier starts with {PREFIX}.")
    parts = text[len(PREFIX) + 1:].split(".")
    if len(parts) != 5:
        raise _fail("segments",
                    f"证照标识在前缀之后应有5段（类型代码.发证机关代码.流水号.版本号.校验位），实际为{len(parts)}段",
                    f"after the prefix an identifier has 5 segments, got {len(parts)}")
    type_code, issuer_code, serial, version, check = parts
    if len(type_code) != 21 or not credit_code_ok(type_code[:18]) or not type_code[18:].isdigit():
        raise _fail("type-code", f"证照类型代码“{type_code}”应为定义机构的统一社会信用代码（18位，校验正确）加3位数字",
                    "the type code is a valid credit code followed by 3 digits")
    if not credit_code_ok(issuer_code):
        raise _fail("issuer-code", f"发证机关代码“{issuer_code}”不是有效的统一社会信用代码",
                    "the issuer code is not a valid unified social credit code")
    if not SERIAL.match(serial):
        raise _fail("serial", "流水号应为1至32位数字或大写字母", "the serial has 1-32 digits or capital letters")
    if len(version) != 3 or not version.isdigit() or version == "000":
        raise _fail("version", f"版本号“{version}”应为3位数字（从001开始）", "the version has 3 digits, from 001")
    expected = check_character(type_code, issuer_code, serial, int(version))
    if check != expected:
        raise _fail("check-character", f"校验位应为{expected}，实际为{check or '（空）'}（ISO/IEC 7064 MOD 37,36）",
                    f"the check character should be {expected}, not {check or '(empty)'} (ISO/IEC 7064 MOD 37,36)")
    return CertIdentifier(type_code, issuer_code, serial, int(version), check)
