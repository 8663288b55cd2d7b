"""working-day calendar schedules

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 21:12:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('working_day_schedules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('holidays', sa.JSON(), nullable=False),
    sa.Column('workdays', sa.JSON(), nullable=False),
    sa.Column('source_note', sa.String(length=500), nullable=False),
    sa.Column('loaded_by', sa.String(length=64), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_working_day_schedules')),
    sa.UniqueConstraint('year', name=op.f('uq_working_day_schedules_year'))
    )


def downgrade() -> None:
    op.drop_table('working_day_schedules')
