"""the recruitment matching batch: runs and each seeker's recommended postings

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-03 09:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from renshe.core.db import UTCDateTime

revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('job_match_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('top', sa.Integer(), nullable=False),
    sa.Column('seekers', sa.Integer(), nullable=False),
    sa.Column('postings', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('last_person_id', sa.Integer(), nullable=False),
    sa.Column('started_by', sa.String(length=64), nullable=False),
    sa.Column('started_at', UTCDateTime(), nullable=False),
    sa.Column('finished_at', UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_match_runs'))
    )
    op.create_table('job_recommendations',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('posting_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_job_recommendations_person_id_persons')),
    sa.ForeignKeyConstraint(['posting_id'], ['job_postings.id'], name=op.f('fk_job_recommendations_posting_id_job_postings')),
    sa.PrimaryKeyConstraint('person_id', 'rank', name=op.f('pk_job_recommendations'))
    )


def downgrade() -> None:
    op.drop_table('job_recommendations')
    op.drop_table('job_match_runs')
