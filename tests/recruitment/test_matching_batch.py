"""The matching batch: numpy's matrix equals `rules.score` pair by pair, and a stopped batch resumes and
gives every seeker the same top postings as scoring every pair one by one."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.core.auth import SYSTEM
from renshe.recruitment import jobs, matrix, rules, schemas, seeking
from renshe.recruitment.models import JobRecommendation, MatchRun
from tests import factories
from tests.insurance.kit import citizen_of
from tests.recruitment.test_recruitment import published

OCCUPATIONS = st.sampled_from(["2", "2-02", "2-02-10", "2-02-10-01", "2-06", "4-03", "6-18"])
DIVISIONS = st.sampled_from(["110105", "110108", "110000", "310101", "330106"])
EDUCATION = st.sampled_from(["", *rules.EDUCATION])


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=60)
@given(st.lists(st.builds(rules.Seeker, OCCUPATIONS, DIVISIONS, st.integers(0, 3_000_000), EDUCATION),
                min_size=1, max_size=6),
       st.lists(st.builds(rules.Job, OCCUPATIONS, DIVISIONS, st.integers(0, 3_000_000), EDUCATION),
                min_size=1, max_size=6))
def test_the_matrix_is_rules_score(seekers: list[rules.Seeker], job_list: list[rules.Job]) -> None:
    assert matrix.check_against_rules(seekers, job_list)


def test_a_stopped_batch_resumes_and_every_seeker_gets_the_best_postings(session: Session) -> None:
    employer = factories.employer(session)
    made = [published(session, employer, title=f"岗位{n}", occupation_code=("2-02", "4-03", "2-06")[n % 3],
                      division_code=("110105", "110108")[n % 2], salary_min=Decimal(3000),
                      salary_max=Decimal(4000 + 1000 * n), education=("", "20", "30")[n % 3]) for n in range(7)]
    seekers = []
    for n in range(5):
        person = factories.person(session, name="求职" + "甲乙丙丁戊"[n], county=("110105", "110108", "310101")[n % 3])
        seeking.set_profile(session, actor=citizen_of(person.public_id, person.name), data=schemas.ProfileIn(
            occupation_code=("2-02", "4-03", "2-06", "2-02", "6-18")[n], division_code=person.residence_division,
            salary_expected=Decimal(5000 + 1500 * n), education=("20", "30", "", "10", "60")[n]))
        seekers.append(person)
    session.commit()
    with pytest.raises(jobs.SimulatedCrash):
        jobs.match_batch(actor=SYSTEM, top=3, chunk=2, crash_after_chunks=1)
    assert session.scalar(select(func.count()).select_from(JobRecommendation)) == 2 * 3
    done = jobs.match_batch(actor=SYSTEM, top=3, chunk=2)
    assert (done.status, done.seekers, done.done, done.postings) == ("done", 5, 5, 7)
    assert session.scalar(select(func.count()).select_from(MatchRun)) == 1  # the same run, resumed
    for person in seekers:
        profile = seeking.profile_of(session, actor=citizen_of(person.public_id, person.name))
        assert profile is not None
        one_by_one = sorted(((rules.score(seeking.seeker_of(profile), seeking.job_of(p)).total, p.id) for p in made),
                            reverse=True)[:3]
        assert [(s, p.id) for s, p in jobs.recommended(session, person_id=person.id)] == one_by_one
