"""call log subject index

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 20:08:05.053230
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('share_call_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_index', sa.LargeBinary(length=20), nullable=True))
        batch_op.create_index(batch_op.f('ix_share_call_log_subject_index'), ['subject_index'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('share_call_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_call_log_subject_index'))
        batch_op.drop_column('subject_index')

