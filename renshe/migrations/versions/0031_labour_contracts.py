"""labour contracts (电子劳动合同) and the signers' keys

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-03 08:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from renshe.core.db import UTCDateTime

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'labour_contracts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('public_id', sa.String(length=32), nullable=False),
        sa.Column('number', sa.String(length=32), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('previous_id', sa.Integer(), nullable=True),
        sa.Column('previous_public_id', sa.String(length=32), nullable=True),
        sa.Column('template', sa.String(length=32), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('employer_public_id', sa.String(length=32), nullable=False),
        sa.Column('employer_name', sa.String(length=200), nullable=False),
        sa.Column('employer_credit_code', sa.String(length=18), nullable=False),
        sa.Column('employer_division', sa.String(length=6), nullable=False),
        sa.Column('legal_representative', sa.String(length=64), nullable=False),
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('person_public_id', sa.String(length=32), nullable=False),
        sa.Column('worker_name', sa.String(length=64), nullable=False),
        sa.Column('id_number_masked', sa.String(length=18), nullable=False),
        sa.Column('relation_public_id', sa.String(length=32), nullable=False),
        sa.Column('term_kind', sa.String(length=16), nullable=False),
        sa.Column('start_date', sa.Date(), nullable=False),
        sa.Column('end_date', sa.Date(), nullable=True),
        sa.Column('monthly_wage_fen', sa.BigInteger(), nullable=False),
        sa.Column('fields', sa.JSON(), nullable=False),
        sa.Column('document_pdf', sa.LargeBinary(), nullable=False),
        sa.Column('document_sha256', sa.String(length=64), nullable=False),
        sa.Column('signatures', sa.JSON(), nullable=False),
        sa.Column('final_pdf', sa.LargeBinary(), nullable=True),
        sa.Column('final_sha256', sa.String(length=64), nullable=True),
        sa.Column('terminated_on', sa.Date(), nullable=True),
        sa.Column('termination_reason', sa.String(length=32), nullable=True),
        sa.Column('termination_note', sa.String(length=500), nullable=True),
        sa.Column('drafted_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('effective_at', UTCDateTime(), nullable=True),
        sa.Column('ended_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['persons.id']),
        sa.ForeignKeyConstraint(['previous_id'], ['labour_contracts.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('number', 'version'),
        sa.UniqueConstraint('public_id'),
    )
    op.create_index('ix_labour_contracts_expiry', 'labour_contracts', ['state', 'term_kind', 'end_date'])
    for column in ('number', 'state', 'employer_public_id', 'employer_division', 'person_id', 'person_public_id',
                   'relation_public_id', 'document_sha256', 'final_sha256'):
        op.create_index(op.f(f'ix_labour_contracts_{column}'), 'labour_contracts', [column])
    op.create_table(
        'contract_signer_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('owner', sa.String(length=48), nullable=False),
        sa.Column('ed_kid', sa.String(length=64), nullable=False),
        sa.Column('ed_public', sa.String(length=64), nullable=False),
        sa.Column('ed_private_encrypted', sa.LargeBinary(), nullable=False),
        sa.Column('sm2_kid', sa.String(length=64), nullable=False),
        sa.Column('sm2_public', sa.String(length=128), nullable=False),
        sa.Column('sm2_private_encrypted', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('ed_kid'),
        sa.UniqueConstraint('owner'),
        sa.UniqueConstraint('sm2_kid'),
    )


def downgrade() -> None:
    op.drop_table('contract_signer_keys')
    op.drop_table('labour_contracts')
