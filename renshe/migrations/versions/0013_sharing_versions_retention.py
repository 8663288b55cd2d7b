"""catalog resource versions, batch result expiry

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 21:25:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('share_call_log') as batch:
        batch.add_column(sa.Column('duration_ms', sa.Integer(), server_default='0', nullable=False))
        batch.create_index('ix_share_call_log_requested_at', ['requested_at'], unique=False)
    with op.batch_alter_table('share_batch_jobs') as batch:
        batch.add_column(sa.Column('input_bytes', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('share_resource_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('replaced_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['share_resources.id'],
                            name=op.f('fk_share_resource_versions_resource_id_share_resources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_resource_versions')),
    sa.UniqueConstraint('resource_id', 'version', name=op.f('uq_share_resource_versions_resource_id'))
    )


def downgrade() -> None:
    op.drop_table('share_resource_versions')
    with op.batch_alter_table('share_batch_jobs') as batch:
        batch.drop_column('expires_at')
        batch.drop_column('input_bytes')
    with op.batch_alter_table('share_call_log') as batch:
        batch.drop_index('ix_share_call_log_requested_at')
        batch.drop_column('duration_ms')
