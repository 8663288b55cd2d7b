"""Pure rules of public recruitment: education levels, the occupation codes' shape, and the explainable
matching score between a seeker's profile and a posting.

The score is out of 100 and is the sum of four parts, each with the reason shown to the person:
- occupation (职业, 40): the same occupation code 40, the same middle category (中类) 30, the same major
  category (大类) 15;
- region (地区, 25): the same county 25, the same city 18, the same province 8;
- salary (薪酬, 20): the posting's top of range reaches the expected salary 20, else in proportion;
- education (学历, 15): the posting asks for no education, or the seeker's meets what it asks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# GB/T 4658-2006 学历代码, the first level: a lower code is a higher education.
EDUCATION = {"10": "研究生", "20": "大学本科", "30": "大学专科", "40": "中等职业教育", "60": "普通高级中学",
             "70": "初级中学", "80": "小学", "90": "其他"}
OCCUPATION_CODE = re.compile(r"^[1-8](-\d{2}){0,3}$")
LEVELS = ("major", "middle", "minor", "occupation")
WEIGHTS = {"occupation": 40, "region": 25, "salary": 20, "education": 15}


def level_of(code: str) -> str:
    """major for `2`, middle for `2-02`, minor for `2-02-10`, occupation for `2-02-10-03`."""
    return LEVELS[code.count("-")]


def parent_of(code: str) -> str | None:
    return code.rsplit("-", 1)[0] if "-" in code else None


def meets_education(seeker: str, required: str) -> bool:
    """True if the posting asks for nothing, or the seeker's education is at least what it asks."""
    if not required:
        return True
    return bool(seeker) and seeker != "90" and int(seeker) <= int(required)


@dataclass(frozen=True)
class Part:
    feature: str
    label: str
    points: int
    weight: int
    why: str


@dataclass(frozen=True)
class Score:
    total: int
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class Seeker:
    occupation_code: str
    division_code: str
    salary_expected_fen: int
    education: str


@dataclass(frozen=True)
class Job:
    occupation_code: str
    division_code: str
    salary_max_fen: int
    education: str


def _occupation(seeker: str, job: str) -> tuple[int, str]:
    if seeker == job:
        return 40, "职业相同"
    if seeker[:4] == job[:4] and len(seeker) >= 4 and len(job) >= 4:
        return 30, "同一职业中类"
    if seeker[:1] == job[:1]:
        return 15, "同一职业大类"
    return 0, "职业大类不同"


def _region(seeker: str, job: str) -> tuple[int, str]:
    if seeker == job:
        return 25, "同一区县"
    if seeker[:4] == job[:4]:
        return 18, "同一城市"
    if seeker[:2] == job[:2]:
        return 8, "同一省份"
    return 0, "不在同一省份"


def _salary(expected: int, top: int) -> tuple[int, str]:
    if expected <= 0 or top >= expected:
        return 20, "薪酬上限达到期望"
    return 20 * top // expected, f"薪酬上限为期望的{100 * top // expected}%"


def score(seeker: Seeker, job: Job) -> Score:
    occupation = _occupation(seeker.occupation_code, job.occupation_code)
    region = _region(seeker.division_code, job.division_code)
    salary = _salary(seeker.salary_expected_fen, job.salary_max_fen)
    met = meets_education(seeker.education, job.education)
    education = (15, "学历不限" if not job.education else "学历符合要求") if met else (0, "学历低于要求")
    parts = (Part("occupation", "职业", occupation[0], 40, occupation[1]),
             Part("region", "地区", region[0], 25, region[1]),
             Part("salary", "薪酬", salary[0], 20, salary[1]),
             Part("education", "学历", education[0], 15, education[1]))
    return Score(sum(p.points for p in parts), parts)
