"""transfer: cross-province pension transfer cases (转移接续); peer messages of no hall application

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 17:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import renshe.core.db

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'pt_transfers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=32), nullable=False),
        sa.Column('ref', sa.String(length=32), nullable=False),
        sa.Column('role', sa.String(length=4), nullable=False),
        sa.Column('peer_province', sa.String(length=6), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('person_public_id', sa.String(length=32), nullable=False),
        sa.Column('person_name', sa.String(length=64), nullable=False),
        sa.Column('id_number_masked', sa.String(length=18), nullable=False),
        sa.Column('application_public_id', sa.String(length=32), nullable=True),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('decision', sa.JSON(), nullable=False),
        sa.Column('requested_on', sa.Date(), nullable=False),
        sa.Column('deadlines', sa.JSON(), nullable=False),
        sa.Column('months', sa.Integer(), nullable=False),
        sa.Column('bases_fen', sa.BigInteger(), nullable=False),
        sa.Column('account_fen', sa.BigInteger(), nullable=False),
        sa.Column('pooled_fen', sa.BigInteger(), nullable=False),
        sa.Column('certificate', sa.JSON(), nullable=True),
        sa.Column('created_at', renshe.core.db.UTCDateTime(), nullable=False),
        sa.Column('updated_at', renshe.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_pt_transfers_person_id_persons')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pt_transfers')),
        sa.UniqueConstraint('public_id', name=op.f('uq_pt_transfers_public_id')),
        sa.UniqueConstraint('role', 'peer_province', 'ref', name='uq_pt_transfers_case'),
    )
    with op.batch_alter_table('pt_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pt_transfers_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pt_transfers_ref'), ['ref'], unique=False)
    with op.batch_alter_table('hall_peer_messages', schema=None) as batch_op:
        batch_op.alter_column('link_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('hall_peer_messages', schema=None) as batch_op:
        batch_op.alter_column('link_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('pt_transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pt_transfers_ref'))
        batch_op.drop_index(batch_op.f('ix_pt_transfers_person_id'))
    op.drop_table('pt_transfers')
