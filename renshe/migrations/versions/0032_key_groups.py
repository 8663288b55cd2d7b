"""key-group labour database (重点群体劳动者信息库)

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-03 09:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from renshe.core.db import UTCDateTime

revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'keygroup_records',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=32), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('person_public_id', sa.String(length=32), nullable=False),
        sa.Column('person_name', sa.String(length=64), nullable=False),
        sa.Column('id_number_masked', sa.String(length=18), nullable=False),
        sa.Column('division_code', sa.String(length=6), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('state_source', sa.String(length=16), nullable=False),
        sa.Column('state_on', sa.Date(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['persons.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('person_id'),
        sa.UniqueConstraint('public_id'),
    )
    op.create_index(op.f('ix_keygroup_records_division_code'), 'keygroup_records', ['division_code'])
    op.create_index(op.f('ix_keygroup_records_person_public_id'), 'keygroup_records', ['person_public_id'])
    op.create_table(
        'keygroup_memberships',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('group_code', sa.String(length=32), nullable=False),
        sa.Column('attributes', sa.JSON(), nullable=False),
        sa.Column('since', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['record_id'], ['keygroup_records.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('record_id', 'group_code'),
    )
    op.create_index(op.f('ix_keygroup_memberships_group_code'), 'keygroup_memberships', ['group_code'])
    op.create_index(op.f('ix_keygroup_memberships_record_id'), 'keygroup_memberships', ['record_id'])
    op.create_table(
        'keygroup_services',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=32), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('served_on', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=False),
        sa.Column('served_by', sa.String(length=64), nullable=False),
        sa.Column('served_by_name', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['record_id'], ['keygroup_records.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('public_id'),
    )
    op.create_index('ix_keygroup_services_record_served', 'keygroup_services', ['record_id', 'served_on'])


def downgrade() -> None:
    op.drop_table('keygroup_services')
    op.drop_table('keygroup_memberships')
    op.drop_table('keygroup_records')
