"""data sharing catalog consumers grants call log

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 20:04:21.837274
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('share_call_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consumer', sa.String(length=40), nullable=False),
    sa.Column('resource', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('subject_masked', sa.String(length=40), nullable=False),
    sa.Column('result', sa.String(length=32), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('success', sa.Boolean(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('request_bytes', sa.Integer(), nullable=False),
    sa.Column('response_bytes', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_call_log'))
    )
    with op.batch_alter_table('share_call_log', schema=None) as batch_op:
        batch_op.create_index('ix_share_call_log_consumer_at', ['consumer', 'requested_at'], unique=False)

    op.create_table('share_consumers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=40), nullable=False),
    sa.Column('secret_hash', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_consumers')),
    sa.UniqueConstraint('client_id', name=op.f('uq_share_consumers_client_id'))
    )
    op.create_table('share_resources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('short_name', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('provider', sa.String(length=200), nullable=False),
    sa.Column('provider_code', sa.String(length=18), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('format', sa.String(length=32), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('sharing_type', sa.String(length=16), nullable=False),
    sa.Column('condition', sa.String(length=500), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('update_cycle', sa.String(length=32), nullable=False),
    sa.Column('publish_date', sa.Date(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('local', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_resources')),
    sa.UniqueConstraint('code', name=op.f('uq_share_resources_code')),
    sa.UniqueConstraint('short_name', name=op.f('uq_share_resources_short_name'))
    )
    op.create_table('share_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consumer_id', sa.Integer(), nullable=False),
    sa.Column('resource_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('legal_basis', sa.String(length=200), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consumer_id'], ['share_consumers.id'], name=op.f('fk_share_grants_consumer_id_share_consumers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resource_id'], ['share_resources.id'], name=op.f('fk_share_grants_resource_id_share_resources')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_grants')),
    sa.UniqueConstraint('consumer_id', 'resource_id', name=op.f('uq_share_grants_consumer_id'))
    )


def downgrade() -> None:
    op.drop_table('share_grants')
    op.drop_table('share_resources')
    op.drop_table('share_consumers')
    with op.batch_alter_table('share_call_log', schema=None) as batch_op:
        batch_op.drop_index('ix_share_call_log_consumer_at')

    op.drop_table('share_call_log')
