"""The demo province's job market: a dozen postings from several employers (published through the clerk's
moderation), one waiting for moderation, job-seeking profiles, and the demo citizen's profile and one
application. Called with one line from `renshe/demo.py`."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from renshe.core.auth import SYSTEM, Principal
from renshe.recruitment import schemas, seeking, service
from renshe.registry import service as registry

POSTINGS = (  # title, occupation (2022 middle category), monthly salary range in yuan, education, kind, text
    ("软件开发工程师", "2-02", 9000, 16000, "20", "job",
     "负责政务服务系统后端开发，熟悉Python或Java，有数据库开发经验优先。"),
    ("中式烹调师", "4-03", 5000, 7500, "", "job",
     "负责职工食堂中餐烹饪，持中式烹调师职业技能等级证书优先，包吃住。"),
    ("电工（持证上岗）", "6-31", 6000, 8500, "40", "job",
     "负责厂区配电设备巡检维修，须持特种作业操作证（电工作业）。"),
    ("仓储管理员", "4-02", 4500, 6000, "60", "job", "负责仓库收发货、库存盘点和系统录入，能适应倒班。"),
    ("养老护理员", "4-10", 4800, 6500, "", "job",
     "负责养老机构老人生活照料，提供岗前培训，持证者优先。"),
    ("客户服务专员", "4-07", 4200, 5500, "30", "job",
     "负责热线电话和在线咨询解答，普通话标准，熟练使用电脑。"),
    ("会计", "2-06", 6000, 9000, "20", "job",
     "负责总账、税务申报和社保公积金核算，有初级会计职称。"),
    ("数控车工", "6-18", 6500, 9500, "40", "job",
     "操作数控车床加工零件，能看懂机械图纸，有两年以上经验。"),
    ("快递员", "4-02", 5500, 9000, "", "job", "负责片区快件揽收与派送，多劳多得，提供电动车。"),
    ("行政助理（就业见习）", "3-01", 3000, 3500, "30", "internship",
     "面向离校两年内未就业高校毕业生的就业见习岗位，见习期六个月，发放见习补贴。"),
    ("数据分析师", "2-02", 8000, 14000, "20", "job",
     "负责业务数据统计分析与报表开发，熟悉SQL和Python数据分析。"),
    ("电子商务运营（就业见习）", "4-01", 3200, 4000, "30", "internship",
     "网店运营与直播带货辅助岗位，就业见习六个月。"),
)


def seed(session: Session, *, province: str, employer_codes: list[str], today: date,
         sample_id_number: str | None) -> int:
    """Post, moderate and apply through the service, as the employers, the clerk and the citizen would."""
    employers = [registry.find_employer(session, actor=SYSTEM, credit_code=code) for code in employer_codes]
    if not employers:
        return 0
    posted = []
    for n, (title, occupation, low, high, education, kind, text) in enumerate(POSTINGS + POSTINGS[:1]):
        employer = employers[n % len(employers)]
        agent = Principal(kind="employer", subject=employer.public_id, display_name=employer.name,
                          division_code=employer.division_code)
        row = service.post(session, actor=agent, data=schemas.PostingIn(
            title=title, description=text, occupation_code=occupation, division_code=employer.division_code,
            salary_min=Decimal(low), salary_max=Decimal(high), education=education, headcount=1 + n % 5,
            expires_on=today + timedelta(days=30 + 7 * n), kind=kind, contact_name="人事部",
            contact_phone=f"1390000{1000 + n:04d}"))
        if n < len(POSTINGS):  # the last one waits for the clerk
            service.moderate(session, actor=SYSTEM, public_id=row.public_id, approve=True)
        posted.append(row)
    sample = registry.find_by_id_number(session, id_number=sample_id_number) if sample_id_number else None
    for n, seeker in enumerate(registry.persons_with_phone(session, division_prefix=province[:2], limit=20)):
        if sample is not None and seeker.id == sample.id:
            continue
        who = Principal(kind="citizen", subject=seeker.public_id, display_name=seeker.name,
                        division_code=seeker.residence_division)
        seeking.set_profile(session, actor=who, data=schemas.ProfileIn(
            occupation_code=POSTINGS[n % len(POSTINGS)][1], division_code=employers[n % len(employers)].division_code,
            salary_expected=Decimal(5000 + 500 * n), education=("20", "30", "40", "60")[n % 4]))
    if sample is not None:
        who = Principal(kind="citizen", subject=sample.public_id, display_name=sample.name,
                        division_code=sample.residence_division)
        seeking.set_profile(session, actor=who, data=schemas.ProfileIn(
            occupation_code="2-02", division_code=employers[0].division_code, salary_expected=Decimal(9000),
            education="20"))
        seeking.apply(session, actor=who, public_id=posted[0].public_id, message="您好，我有五年Python开发经验。")
    return len(posted)
