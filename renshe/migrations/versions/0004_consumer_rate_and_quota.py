"""consumer rate and quota

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 20:06:49.377563
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('share_consumers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rate_per_minute', sa.Integer(), nullable=False, server_default='600'))
        batch_op.add_column(sa.Column('daily_quota', sa.Integer(), nullable=False, server_default='100000'))



def downgrade() -> None:
    with op.batch_alter_table('share_consumers', schema=None) as batch_op:
        batch_op.drop_column('daily_quota')
        batch_op.drop_column('rate_per_minute')

