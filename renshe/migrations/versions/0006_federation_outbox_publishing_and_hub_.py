"""federation outbox publishing and hub store

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 20:09:35.385167
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hub_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=32), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('topic', sa.String(length=100), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hub_events')),
    sa.UniqueConstraint('event_id', name=op.f('uq_hub_events_event_id'))
    )
    with op.batch_alter_table('hub_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hub_events_province'), ['province'], unique=False)
        batch_op.create_index(batch_op.f('ix_hub_events_topic'), ['topic'], unique=False)

    op.create_table('hub_provinces',
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.Column('last_occurred_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_delay_ms', sa.Integer(), nullable=False),
    sa.Column('pending', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('province', name=op.f('pk_hub_provinces'))
    )
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_events_published_at'), ['published_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_events_published_at'))
        batch_op.drop_column('published_at')

    op.drop_table('hub_provinces')
    with op.batch_alter_table('hub_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hub_events_topic'))
        batch_op.drop_index(batch_op.f('ix_hub_events_province'))

    op.drop_table('hub_events')
