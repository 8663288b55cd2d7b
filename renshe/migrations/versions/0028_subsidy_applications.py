"""subsidy applications (就业补贴申领)

Revision ID: 0028
Revises: 0024
Create Date: 2026-12-03 01:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from renshe.core.db import UTCDateTime

revision = '0028'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'subsidy_applications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=32), nullable=False),
        sa.Column('policy', sa.String(length=32), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('person_public_id', sa.String(length=32), nullable=False),
        sa.Column('person_name', sa.String(length=64), nullable=False),
        sa.Column('id_number_masked', sa.String(length=18), nullable=False),
        sa.Column('division_code', sa.String(length=6), nullable=False),
        sa.Column('grant_key', sa.String(length=64), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('amount_fen', sa.BigInteger(), nullable=False),
        sa.Column('checks', sa.JSON(), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=True),
        sa.Column('card_reference', sa.String(length=64), nullable=True),
        sa.Column('card_status', sa.String(length=16), nullable=True),
        sa.Column('submitted_at', UTCDateTime(), nullable=False),
        sa.Column('decided_by', sa.String(length=64), nullable=True),
        sa.Column('decided_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['persons.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('grant_key'),
        sa.UniqueConstraint('public_id'),
    )
    op.create_index(op.f('ix_subsidy_applications_division_code'), 'subsidy_applications', ['division_code'])
    op.create_index(op.f('ix_subsidy_applications_person_id'), 'subsidy_applications', ['person_id'])
    op.create_index(op.f('ix_subsidy_applications_person_public_id'), 'subsidy_applications', ['person_public_id'])
    op.create_index(op.f('ix_subsidy_applications_policy'), 'subsidy_applications', ['policy'])


def downgrade() -> None:
    op.drop_table('subsidy_applications')
