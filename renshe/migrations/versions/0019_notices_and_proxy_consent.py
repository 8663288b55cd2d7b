"""registry and hall: notices to persons (消息中心) and consent to act for someone (代办授权)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 16:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'notices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=32), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=48), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.String(length=1000), nullable=False),
        sa.Column('link', sa.String(length=300), nullable=True),
        sa.Column('texted', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_notices_person_id_persons')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notices')),
        sa.UniqueConstraint('public_id', name=op.f('uq_notices_public_id')),
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notices_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_notices_person_unread', ['person_id', 'read_at'], unique=False)

    op.create_table(
        'hall_proxy_authorisations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=32), nullable=False),
        sa.Column('grantor_id', sa.Integer(), nullable=False),
        sa.Column('agent_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('item_code', sa.String(length=40), nullable=True),
        sa.Column('relation', sa.String(length=16), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['agent_id'], ['persons.id'],
                                name=op.f('fk_hall_proxy_authorisations_agent_id_persons')),
        sa.ForeignKeyConstraint(['grantor_id'], ['persons.id'],
                                name=op.f('fk_hall_proxy_authorisations_grantor_id_persons')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_hall_proxy_authorisations')),
        sa.UniqueConstraint('public_id', name=op.f('uq_hall_proxy_authorisations_public_id')),
    )
    with op.batch_alter_table('hall_proxy_authorisations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hall_proxy_authorisations_grantor_id'), ['grantor_id'], unique=False)
        batch_op.create_index('ix_hall_proxy_authorisations_pair', ['agent_id', 'grantor_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('hall_proxy_authorisations', schema=None) as batch_op:
        batch_op.drop_index('ix_hall_proxy_authorisations_pair')
        batch_op.drop_index(batch_op.f('ix_hall_proxy_authorisations_grantor_id'))
    op.drop_table('hall_proxy_authorisations')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index('ix_notices_person_unread')
        batch_op.drop_index(batch_op.f('ix_notices_person_id'))
    op.drop_table('notices')
