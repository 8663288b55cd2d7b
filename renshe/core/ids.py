"""Resident ID numbers (GB 11643) and unified social credit codes (GB 32100).

Checksums, characters and dates come from python-stdnum. The area code of a resident ID is judged by
the rule in the domain rules: it must have been in force at some time from the birth date on, because
numbers were assigned in 1984-85 from the holder's residence then, not the birthplace.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from stdnum.cn import ric, uscc

from renshe.core import divisions
from renshe.core.errors import DomainError, FieldError

USCC_ENTITY_TYPES: dict[str, str] = {
    # registering authority + entity type (GB 32100-2015, appendix A)
    "11": "机关",
    "12": "事业单位",
    "13": "中央编办直接管理机构编制的群众团体",
    "19": "机构编制其他",
    "21": "外国常驻新闻机构",
    "29": "外交其他",
    "31": "律师执业机构",
    "32": "公证处",
    "33": "基层法律服务所",
    "34": "司法鉴定机构",
    "35": "仲裁委员会",
    "39": "司法行政其他",
    "41": "外国在华文化中心",
    "49": "文化其他",
    "51": "社会团体",
    "52": "民办非企业单位",
    "53": "基金会",
    "59": "民政其他",
    "61": "外国旅游部门常驻代表机构",
    "62": "港澳台地区旅游部门常驻内地（大陆）代表机构",
    "69": "旅游其他",
    "71": "宗教活动场所",
    "72": "宗教院校",
    "79": "宗教其他",
    "81": "基层工会",
    "89": "工会其他",
    "91": "企业",
    "92": "个体工商户",
    "93": "农民专业合作社",
    "A1": "军队事业单位",
    "A9": "中央军委改革和编制办公室其他",
    "N1": "农村集体经济组织",
    "N2": "农村村民委员会",
    "N3": "城市居民委员会",
    "N9": "农业其他",
    "Y1": "其他",
}

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


class IdentifierError(DomainError):
    """An identifier broke one named rule; `rule` is stable, the messages are Chinese and English."""

    def __init__(self, kind: str, rule: str, zh: str, en: str, field: str = "id_number") -> None:
        super().__init__(
            code=f"renshe:{kind}/{rule}",
            detail=zh,
            status=422,
            title="证件号码校验未通过",
            errors=[FieldError(field, f"renshe:{kind}/{rule}", zh)],
        )
        self.rule = rule
        self.message_en = en


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: dt.date
    sex: str  # GB/T 2261.1: "1" male, "2" female
    area_code: str

    @property
    def sex_label(self) -> str:
        return "男" if self.sex == "1" else "女"

    @property
    def birthplace(self) -> str:
        """The county's full name as it was when numbers were assigned (1984-85) or at birth, if later."""
        name_year = max(self.birth_date.year, 1984)
        area = divisions.get(self.area_code)
        return divisions.full_name(self.area_code, name_year if area and area.name_in(name_year) else None)


@dataclass(frozen=True)
class CreditCode:
    code: str
    area_code: str
    area_name: str
    entity_type: str
    entity_type_label: str


_CANONICAL_ID = re.compile(r"[0-9]{17}[0-9X]")


def parse_resident_id(value: str, *, today: dt.date | None = None, field: str = "id_number") -> ResidentId:
    """Validate a resident ID number and return what it encodes, or raise `IdentifierError`."""
    kind = "id-number"
    # A number already in canonical form skips stdnum's character-by-character cleaning (most of the
    # cost when a batch file of millions of rows is checked); anything else is compacted by stdnum.
    number = value if _CANONICAL_ID.fullmatch(value or "") else ric.compact(value or "")
    if len(number) != 18:
        raise IdentifierError(
            kind, "length", f"公民身份号码应为18位，实际为{len(number)}位",
            f"a resident ID has 18 characters, got {len(number)}", field,
        )
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdentifierError(
            kind, "characters", "公民身份号码前17位应为数字，最后一位应为数字或X",
            "the first 17 characters must be digits and the last a digit or X", field,
        )
    try:  # what ric.get_birth_date does, without compacting the number once more
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdentifierError(
            kind, "birth-date", f"出生日期码{number[6:14]}不是有效日期", f"{number[6:14]} is not a valid date",
            field,
        ) from None
    today = today or dt.date.today()
    if birth > today or birth.year < 1880:
        raise IdentifierError(
            kind, "birth-date", f"出生日期{birth.isoformat()}不合理", f"birth date {birth} is implausible", field,
        )
    area = divisions.get(number[:6])
    if area is None or area.level != "county" or divisions.is_placeholder(area):
        raise IdentifierError(
            kind, "area-code", f"地址码{number[:6]}不是县级行政区划代码", f"{number[:6]} is not a county code",
            field,
        )
    if not area.existed_from(birth.year):
        raise IdentifierError(
            kind, "area-code", f"地址码{number[:6]}在出生日期之前已撤销",
            f"area code {number[:6]} was abolished before the birth date", field,
        )
    if ric.calc_check_digit(number) != number[17]:
        raise IdentifierError(
            kind, "check-character", f"校验码应为{ric.calc_check_digit(number)}，实际为{number[17]}",
            f"the check character should be {ric.calc_check_digit(number)}, not {number[17]}", field,
        )
    return ResidentId(number=number, birth_date=birth, sex="1" if int(number[16]) % 2 else "2",
                      area_code=number[:6])


def parse_credit_code(value: str, *, field: str = "credit_code") -> CreditCode:
    """Validate a unified social credit code and return its area and entity type."""
    kind = "credit-code"
    code = uscc.compact(value or "")
    if len(code) != 18:
        raise IdentifierError(
            kind, "length", f"统一社会信用代码应为18位，实际为{len(code)}位",
            f"a credit code has 18 characters, got {len(code)}", field,
        )
    bad = [c for c in code if c not in USCC_ALPHABET]
    if bad:
        raise IdentifierError(
            kind, "characters", f"统一社会信用代码含有不允许的字符：{''.join(dict.fromkeys(bad))}",
            f"characters not allowed: {''.join(dict.fromkeys(bad))}", field,
        )
    entity = USCC_ENTITY_TYPES.get(code[:2])
    if entity is None:
        raise IdentifierError(
            kind, "entity-type", f"登记管理部门码和机构类别码{code[:2]}不存在",
            f"authority and entity type {code[:2]} do not exist", field,
        )
    area = divisions.get(code[2:8])
    if area is None:
        raise IdentifierError(
            kind, "area-code", f"登记管理机关行政区划码{code[2:8]}不存在", f"area code {code[2:8]} does not exist",
            field,
        )
    expected = uscc.calc_check_digit(code[:17])
    if expected != code[17]:
        raise IdentifierError(
            kind, "check-character", f"校验码应为{expected}，实际为{code[17]}",
            f"the check character should be {expected}, not {code[17]}", field,
        )
    return CreditCode(code, code[2:8], divisions.full_name(code[2:8]), code[:2], entity)


def resident_id_check_character(first17: str) -> str:
    """The GB 11643 check character for 17 digits (used by the demo generator)."""
    return str(ric.calc_check_digit(first17 + "0"))


def credit_code_check_character(first17: str) -> str:
    return str(uscc.calc_check_digit(first17))
