"""sign-in limit counters shared through the database (without Redis)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 16:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'limit_counters',
        sa.Column('key', sa.String(length=160), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_limit_counters')),
    )
    op.create_index(op.f('ix_limit_counters_expires_at'), 'limit_counters', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_limit_counters_expires_at'), table_name='limit_counters')
    op.drop_table('limit_counters')
