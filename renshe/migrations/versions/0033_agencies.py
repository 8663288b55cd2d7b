"""Employment Online (就业在线): institutions and agencies with their licences, their services, ratings

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-03 08:50:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from renshe.core.db import UTCDateTime

revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agencies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('division_code', sa.String(length=6), nullable=False),
    sa.Column('licence_number', sa.String(length=40), nullable=True),
    sa.Column('licence_scope', sa.JSON(), nullable=False),
    sa.Column('dispatch_licence', sa.String(length=40), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('ratings', sa.Integer(), nullable=False),
    sa.Column('rating_sum', sa.Integer(), nullable=False),
    sa.Column('applied_at', UTCDateTime(), nullable=True),
    sa.Column('onboarded_on', sa.Date(), nullable=True),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agencies')),
    sa.UniqueConstraint('credit_code', name=op.f('uq_agencies_credit_code')),
    sa.UniqueConstraint('public_id', name=op.f('uq_agencies_public_id'))
    )
    op.create_index(op.f('ix_agencies_division_code'), 'agencies', ['division_code'], unique=False)
    op.create_table('agency_ratings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('stars', sa.Integer(), nullable=False),
    sa.Column('comment', sa.String(length=300), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_agency_ratings_agency_id_agencies')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_agency_ratings_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_ratings')),
    sa.UniqueConstraint('agency_id', 'person_id', name='uq_agency_ratings_once')
    )
    op.create_index(op.f('ix_agency_ratings_agency_id'), 'agency_ratings', ['agency_id'], unique=False)
    op.create_table('agency_services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('description', sa.String(length=2000), nullable=False),
    sa.Column('fee', sa.String(length=100), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_agency_services_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_services')),
    sa.UniqueConstraint('public_id', name=op.f('uq_agency_services_public_id'))
    )
    op.create_index(op.f('ix_agency_services_agency_id'), 'agency_services', ['agency_id'], unique=False)
    op.create_index(op.f('ix_agency_services_kind'), 'agency_services', ['kind'], unique=False)


def downgrade() -> None:
    for name in ("agency_ratings", "agency_services", "agencies"):
        op.drop_table(name)
