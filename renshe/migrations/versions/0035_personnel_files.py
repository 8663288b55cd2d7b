"""personnel files of mobile workers (流动人员人事档案) and their transfers

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-03 09:15:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from renshe.core.db import UTCDateTime

revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('personnel_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('person_public_id', sa.String(length=32), nullable=False),
    sa.Column('person_name', sa.String(length=64), nullable=False),
    sa.Column('id_number_masked', sa.String(length=18), nullable=False),
    sa.Column('file_number', sa.String(length=24), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('division_code', sa.String(length=6), nullable=False),
    sa.Column('location', sa.String(length=100), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_personnel_files_agency_id_agencies')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_personnel_files_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_personnel_files')),
    sa.UniqueConstraint('file_number', name=op.f('uq_personnel_files_file_number')),
    sa.UniqueConstraint('person_id', name=op.f('uq_personnel_files_person_id')),
    sa.UniqueConstraint('public_id', name=op.f('uq_personnel_files_public_id'))
    )
    op.create_index(op.f('ix_personnel_files_agency_id'), 'personnel_files', ['agency_id'], unique=False)
    op.create_index(op.f('ix_personnel_files_division_code'), 'personnel_files', ['division_code'], unique=False)
    op.create_index(op.f('ix_personnel_files_person_public_id'), 'personnel_files', ['person_public_id'], unique=False)
    op.create_table('personnel_file_transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('from_agency_id', sa.Integer(), nullable=False),
    sa.Column('to_agency_id', sa.Integer(), nullable=False),
    sa.Column('to_division', sa.String(length=6), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('tracking_number', sa.String(length=40), nullable=False),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('sent_by', sa.String(length=64), nullable=False),
    sa.Column('received_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['file_id'], ['personnel_files.id'], name=op.f('fk_personnel_file_transfers_file_id_personnel_files')),
    sa.ForeignKeyConstraint(['from_agency_id'], ['agencies.id'], name=op.f('fk_personnel_file_transfers_from_agency_id_agencies')),
    sa.ForeignKeyConstraint(['to_agency_id'], ['agencies.id'], name=op.f('fk_personnel_file_transfers_to_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_personnel_file_transfers')),
    sa.UniqueConstraint('public_id', name=op.f('uq_personnel_file_transfers_public_id'))
    )
    op.create_index(op.f('ix_personnel_file_transfers_file_id'), 'personnel_file_transfers', ['file_id'], unique=False)
    op.create_index(op.f('ix_personnel_file_transfers_to_agency_id'), 'personnel_file_transfers', ['to_agency_id'], unique=False)
    op.create_index(op.f('ix_personnel_file_transfers_to_division'), 'personnel_file_transfers', ['to_division'], unique=False)


def downgrade() -> None:
    op.drop_table('personnel_file_transfers')
    op.drop_table('personnel_files')
