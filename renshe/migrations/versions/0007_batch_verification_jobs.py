"""batch verification jobs

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 20:23:06.293702
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('share_batch_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('consumer', sa.String(length=40), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('processed_rows', sa.Integer(), nullable=False),
    sa.Column('output_bytes', sa.Integer(), nullable=False),
    sa.Column('matched', sa.Integer(), nullable=False),
    sa.Column('mismatched', sa.Integer(), nullable=False),
    sa.Column('not_found', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_batch_jobs')),
    sa.UniqueConstraint('public_id', name=op.f('uq_share_batch_jobs_public_id'))
    )
    with op.batch_alter_table('share_batch_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_batch_jobs_consumer'), ['consumer'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_batch_jobs_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('share_batch_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_batch_jobs_status'))
        batch_op.drop_index(batch_op.f('ix_share_batch_jobs_consumer'))

    op.drop_table('share_batch_jobs')
