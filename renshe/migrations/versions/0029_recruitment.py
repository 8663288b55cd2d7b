"""public recruitment (公共招聘): occupations, postings with their full-text index, applications, reports,
saved searches, seekers' profiles, and the hub's national mark

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03 08:40:00
"""
from __future__ import annotations

import json
from importlib.resources import files

import sqlalchemy as sa
from alembic import op

from renshe.core import fulltext
from renshe.core.db import UTCDateTime

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('occupations',
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('level', sa.String(length=12), nullable=False),
    sa.Column('parent_code', sa.String(length=12), nullable=True),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_occupations'))
    )
    op.create_index(op.f('ix_occupations_parent_code'), 'occupations', ['parent_code'], unique=False)
    op.create_table('recruitment_national_marks',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('last_event_id', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_recruitment_national_marks'))
    )
    op.create_table('job_postings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('source_key', sa.String(length=40), nullable=False),
    sa.Column('origin_province', sa.String(length=6), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=True),
    sa.Column('employer_credit_code', sa.String(length=18), nullable=False),
    sa.Column('employer_name', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('occupation_code', sa.String(length=12), nullable=False),
    sa.Column('division_code', sa.String(length=6), nullable=False),
    sa.Column('salary_min_fen', sa.BigInteger(), nullable=False),
    sa.Column('salary_max_fen', sa.BigInteger(), nullable=False),
    sa.Column('education', sa.String(length=2), nullable=False),
    sa.Column('headcount', sa.Integer(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('contact_name', sa.String(length=32), nullable=False),
    sa.Column('contact_phone_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('contact_phone_masked', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('moderation_note', sa.String(length=500), nullable=True),
    sa.Column('moderated_by', sa.String(length=64), nullable=True),
    sa.Column('applications', sa.Integer(), nullable=False),
    sa.Column('reports', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('published_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], name=op.f('fk_job_postings_employer_id_employers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_postings')),
    sa.UniqueConstraint('source_key', name=op.f('uq_job_postings_source_key'))
    )
    op.create_index(op.f('ix_job_postings_division_code'), 'job_postings', ['division_code'], unique=False)
    op.create_index(op.f('ix_job_postings_employer_id'), 'job_postings', ['employer_id'], unique=False)
    op.create_index(op.f('ix_job_postings_occupation_code'), 'job_postings', ['occupation_code'], unique=False)
    op.create_index('ix_job_postings_open', 'job_postings', ['state', 'expires_on'], unique=False)
    op.create_index('ix_job_postings_origin', 'job_postings', ['origin_province', 'id'], unique=False)
    op.create_index(op.f('ix_job_postings_public_id'), 'job_postings', ['public_id'], unique=False)
    op.create_table('job_saved_searches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('criteria', sa.JSON(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_job_saved_searches_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_saved_searches')),
    sa.UniqueConstraint('public_id', name=op.f('uq_job_saved_searches_public_id'))
    )
    op.create_index(op.f('ix_job_saved_searches_person_id'), 'job_saved_searches', ['person_id'], unique=False)
    op.create_table('job_seeker_profiles',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('person_name', sa.String(length=64), nullable=False),
    sa.Column('occupation_code', sa.String(length=12), nullable=False),
    sa.Column('division_code', sa.String(length=6), nullable=False),
    sa.Column('salary_expected_fen', sa.BigInteger(), nullable=False),
    sa.Column('education', sa.String(length=2), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_job_seeker_profiles_person_id_persons')),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_job_seeker_profiles'))
    )
    op.create_index(op.f('ix_job_seeker_profiles_division_code'), 'job_seeker_profiles', ['division_code'], unique=False)
    op.create_index(op.f('ix_job_seeker_profiles_occupation_code'), 'job_seeker_profiles', ['occupation_code'], unique=False)
    op.create_table('job_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('posting_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('person_name', sa.String(length=64), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('answer', sa.String(length=500), nullable=True),
    sa.Column('submitted_at', UTCDateTime(), nullable=False),
    sa.Column('answered_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_job_applications_person_id_persons')),
    sa.ForeignKeyConstraint(['posting_id'], ['job_postings.id'], name=op.f('fk_job_applications_posting_id_job_postings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_applications')),
    sa.UniqueConstraint('posting_id', 'person_id', name='uq_job_applications_once'),
    sa.UniqueConstraint('public_id', name=op.f('uq_job_applications_public_id'))
    )
    op.create_index(op.f('ix_job_applications_person_id'), 'job_applications', ['person_id'], unique=False)
    op.create_index(op.f('ix_job_applications_posting_id'), 'job_applications', ['posting_id'], unique=False)
    op.create_table('job_posting_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('posting_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=False),
    sa.Column('reporter', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('outcome', sa.String(length=500), nullable=True),
    sa.Column('handled_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('handled_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['posting_id'], ['job_postings.id'], name=op.f('fk_job_posting_reports_posting_id_job_postings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_posting_reports')),
    sa.UniqueConstraint('public_id', name=op.f('uq_job_posting_reports_public_id'))
    )
    op.create_index(op.f('ix_job_posting_reports_posting_id'), 'job_posting_reports', ['posting_id'], unique=False)
    shipped = json.loads((files("renshe.recruitment") / "data" / "occupations.json").read_text("utf-8"))
    table = sa.table("occupations", sa.column("code", sa.String), sa.column("name", sa.String),
                     sa.column("level", sa.String), sa.column("parent_code", sa.String))
    op.bulk_insert(table, [{"code": o["code"], "name": o["name"], "level": o["level"],
                            "parent_code": o["code"].rsplit("-", 1)[0] if "-" in o["code"] else None}
                           for o in shipped["occupations"]])
    for statement in fulltext.create_table_sql(op.get_bind().dialect.name, "search_job_postings"):
        op.execute(statement)


def downgrade() -> None:
    for statement in fulltext.drop_table_sql("search_job_postings"):
        op.execute(statement)
    for name in ("job_posting_reports", "job_applications", "job_seeker_profiles", "job_saved_searches",
                 "job_postings", "recruitment_national_marks", "occupations"):
        op.drop_table(name)
