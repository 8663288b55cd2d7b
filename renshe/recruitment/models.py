"""Public recruitment (公共招聘): the occupation classification, postings, applications, reports of fake
postings, saved searches and job seekers' profiles.

A posting made here has `employer_id` and `origin_province` equal to this node's province; at the ministry hub
the same table also holds every province's published postings (`employer_id` null, `origin_province` theirs),
kept up to date from the federation's national store. `source_key` (`<province>:<public id>`) is unique, so a
posting arriving twice is stored once. Salaries are monthly, integer fen. The contact phone is encrypted at
rest and shown unmasked only to the employer, staff, and a seeker who has applied."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from renshe.core.db import Base, UTCDateTime, utcnow
from renshe.core.models import new_public_id


class Occupation(Base):
    """职业分类大典 (2022): major (大类), middle (中类), minor (小类) and occupation (细类) codes."""

    __tablename__ = "occupations"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)  # 2 / 2-02 / 2-02-10 / 2-02-10-03
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(12))  # major | middle | minor | occupation
    parent_code: Mapped[str | None] = mapped_column(String(12), index=True)


class JobPosting(Base):
    __tablename__ = "job_postings"
    __table_args__ = (
        Index("ix_job_postings_open", "state", "expires_on"),
        Index("ix_job_postings_origin", "origin_province", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), index=True, default=new_public_id)
    source_key: Mapped[str] = mapped_column(String(40), unique=True)  # <province>:<public id>
    origin_province: Mapped[str] = mapped_column(String(6))
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id"), index=True)
    employer_credit_code: Mapped[str] = mapped_column(String(18))
    employer_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    occupation_code: Mapped[str] = mapped_column(String(12), index=True)
    division_code: Mapped[str] = mapped_column(String(6), index=True)
    salary_min_fen: Mapped[int] = mapped_column(BigInteger)
    salary_max_fen: Mapped[int] = mapped_column(BigInteger)
    education: Mapped[str] = mapped_column(String(2))  # GB/T 4658 code, "" for 不限
    headcount: Mapped[int] = mapped_column(Integer)
    expires_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(12), default="job")  # job | internship (就业见习)
    contact_name: Mapped[str] = mapped_column(String(32))
    contact_phone_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    contact_phone_masked: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(12))  # pending | published | rejected | withdrawn
    moderation_note: Mapped[str | None] = mapped_column(String(500))
    moderated_by: Mapped[str | None] = mapped_column(String(64))
    applications: Mapped[int] = mapped_column(Integer, default=0)
    reports: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class JobApplication(Base):
    """A seeker's application to a posting; the employer answers (invite to interview, hire, decline)."""

    __tablename__ = "job_applications"
    __table_args__ = (UniqueConstraint("posting_id", "person_id", name="uq_job_applications_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    posting_id: Mapped[int] = mapped_column(ForeignKey("job_postings.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    person_name: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(String(500), default="")
    state: Mapped[str] = mapped_column(String(12))  # submitted | interview | hired | declined
    answer: Mapped[str | None] = mapped_column(String(500))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PostingReport(Base):
    """A report that a posting is fake or misleading (虚假招聘举报), and the clerk's finding."""

    __tablename__ = "job_posting_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    posting_id: Mapped[int] = mapped_column(ForeignKey("job_postings.id"), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(String(500), default="")
    reporter: Mapped[str] = mapped_column(String(64))  # who reported (a citizen's public id)
    state: Mapped[str] = mapped_column(String(12))  # open | upheld | dismissed
    outcome: Mapped[str | None] = mapped_column(String(500))
    handled_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SavedSearch(Base):
    __tablename__ = "job_saved_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    criteria: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SeekerProfile(Base):
    """What a job seeker looks for (求职意向): the features the matching scores on."""

    __tablename__ = "job_seeker_profiles"

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    person_name: Mapped[str] = mapped_column(String(64))
    occupation_code: Mapped[str] = mapped_column(String(12), index=True)
    division_code: Mapped[str] = mapped_column(String(6), index=True)
    salary_expected_fen: Mapped[int] = mapped_column(BigInteger)
    education: Mapped[str] = mapped_column(String(2))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NationalMark(Base):
    """How far the hub's national index has read the federation's national store (`hub_events.id`)."""

    __tablename__ = "recruitment_national_marks"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigInteger, default=0)


class MatchRun(Base):
    """A matching batch (岗位匹配批处理): every seeker's top postings, computed a chunk of seekers at a time;
    `last_person_id` is where a stopped run resumes."""

    __tablename__ = "job_match_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(12))  # running | done
    top: Mapped[int] = mapped_column(Integer)
    seekers: Mapped[int] = mapped_column(Integer, default=0)
    postings: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    last_person_id: Mapped[int] = mapped_column(Integer, default=0)
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class JobRecommendation(Base):
    """A seeker's recommended posting from the latest matching batch, with its score (`rules.score`)."""

    __tablename__ = "job_recommendations"

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer, primary_key=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("job_postings.id"))
    score: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[int] = mapped_column(Integer)
