"""The hub's national job search: read the provinces' posting events from the federation's national store
and apply them to the hub's postings and index, from where the last run stopped. Safe to run again at any
time: the mark moves in the same transaction as what it covers, and a posting is stored once by its source key."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from renshe.core import audit, db
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import Forbidden
from renshe.federation import service as federation
from renshe.recruitment import matrix, service
from renshe.recruitment.models import JobPosting, JobRecommendation, MatchRun, NationalMark, SeekerProfile

MARK = "postings"
BATCH = 1000


def sync_national(session: Session, *, batches: int = 100) -> dict[str, int]:
    """Apply up to BATCHES × BATCH new events; returns how many were read, stored and closed."""
    mark = session.get(NationalMark, MARK) or NationalMark(name=MARK, last_event_id=0)
    session.add(mark)
    totals = {"read": 0, "stored": 0, "closed": 0}
    for _ in range(batches):
        events = federation.events_after(session, topics=(service.PUBLISHED_TOPIC, service.CLOSED_TOPIC),
                                         after_id=mark.last_event_id, limit=BATCH)
        if not events:
            break
        done = service.apply_national(session, [(province, topic, payload) for _, province, topic, payload in events])
        mark.last_event_id = events[-1][0]
        session.flush()
        totals["read"] += len(events)
        totals["stored"] += done["stored"]
        totals["closed"] += done["closed"]
    return totals


# ---- the matching batch (岗位匹配批处理) ---------------------------------------------------------------

MATCH_CHUNK = 100  # seekers a chunk: a chunk's score matrix is MATCH_CHUNK × open postings (int16 and int64)
Progress = Callable[[int, int], None]


class SimulatedCrash(RuntimeError):
    """Raised by `match_batch(crash_after_chunks=…)` in tests and benchmarks: the process 'dies' there."""


@dataclass(frozen=True)
class MatchSummary:
    run_id: int
    status: str
    seekers: int
    postings: int
    done: int


def _open_postings(session: Session) -> tuple[list[int], matrix.Side, matrix.Codes]:
    rows = session.execute(select(JobPosting.id, JobPosting.occupation_code, JobPosting.division_code,
                                  JobPosting.salary_max_fen, JobPosting.education)
                           .where(JobPosting.state == "published", JobPosting.expires_on >= service.today())
                           .order_by(JobPosting.id)).all()
    codes = matrix.Codes()
    jobs_side = matrix.side(codes, [r[1] for r in rows], [r[2] for r in rows], [int(r[3]) for r in rows],
                            [r[4] for r in rows])
    return [int(r[0]) for r in rows], jobs_side, codes


def match_batch(*, actor: Principal, top: int = 10, chunk: int = MATCH_CHUNK, crash_after_chunks: int | None = None,
                progress: Progress | None = None) -> MatchSummary:
    """Every seeker's TOP best-scoring open postings (`rules.score`, computed by `matrix.scores`), stored in
    `job_recommendations`; a chunk of seekers a transaction, so a stopped run resumes with the next seeker."""
    if actor.kind not in {"staff", "system"} or not actor.has("import.run"):
        raise Forbidden("无权运行岗位匹配批处理", code="renshe:recruitment/match-permission")
    with db.unit_of_work() as session:
        run = session.scalar(select(MatchRun).where(MatchRun.status == "running").order_by(MatchRun.id.desc()))
        if run is None:
            run = MatchRun(status="running", top=top, started_by=actor.subject,
                           seekers=int(session.scalar(select(func.count()).select_from(SeekerProfile)) or 0))
            session.add(run)
            session.flush()
            audit.record(session, actor=actor, action="recruitment.match_start", entity_type="job_match_run",
                         entity_id=str(run.id), after={"seekers": run.seekers, "top": top})
        run_id = run.id
        posting_ids, jobs_side, codes = _open_postings(session)
        run.postings = len(posting_ids)
    ids = np.asarray(posting_ids, dtype=np.int64)
    chunks = 0
    while True:
        with db.unit_of_work() as session:
            run = session.get(MatchRun, run_id)
            if run is None:
                raise RuntimeError("match run vanished")
            seekers = session.execute(select(SeekerProfile.person_id, SeekerProfile.occupation_code,
                                             SeekerProfile.division_code, SeekerProfile.salary_expected_fen,
                                             SeekerProfile.education)
                                      .where(SeekerProfile.person_id > run.last_person_id)
                                      .order_by(SeekerProfile.person_id).limit(chunk)).all()
            if not seekers:
                run.status, run.finished_at = "done", utcnow()
                audit.record(session, actor=actor, action="recruitment.match_finish", entity_type="job_match_run",
                             entity_id=str(run.id), after={"seekers": run.done, "postings": run.postings})
                return MatchSummary(run.id, run.status, run.seekers, run.postings, run.done)
            people = [int(s[0]) for s in seekers]
            left = matrix.side(codes, [s[1] for s in seekers], [s[2] for s in seekers], [int(s[3]) for s in seekers],
                               [s[4] for s in seekers])
            best, best_scores = matrix.top(matrix.scores(left, jobs_side), run.top)
            session.execute(delete(JobRecommendation).where(JobRecommendation.person_id.in_(people)))
            rows = [{"person_id": person, "rank": rank + 1, "posting_id": int(ids[best[i, rank]]),
                     "score": int(best_scores[i, rank]), "run_id": run.id}
                    for i, person in enumerate(people) for rank in range(best.shape[1])]
            if rows:
                session.execute(insert(JobRecommendation), rows)
            run.done += len(people)
            run.last_person_id = people[-1]
            done, total = run.done, run.seekers
        chunks += 1
        if progress is not None:
            progress(done, total)
        if crash_after_chunks is not None and chunks >= crash_after_chunks:
            raise SimulatedCrash(f"stopped after {chunks} chunks")


def recommended(session: Session, *, person_id: int) -> list[tuple[int, JobPosting]]:
    """The latest batch's recommendations for a person: (score, posting), best first."""
    rows = session.execute(select(JobRecommendation.score, JobPosting)
                           .join(JobPosting, JobPosting.id == JobRecommendation.posting_id)
                           .where(JobRecommendation.person_id == person_id).order_by(JobRecommendation.rank)).all()
    return [(int(score), posting) for score, posting in rows]
