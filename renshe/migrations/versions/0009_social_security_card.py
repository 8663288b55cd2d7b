"""social security card and electronic SSC

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 21:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('card_apps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('app_id', sa.String(length=40), nullable=False),
    sa.Column('secret_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('callback_url', sa.String(length=300), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_apps')),
    sa.UniqueConstraint('app_id', name=op.f('uq_card_apps_app_id'))
    )
    op.create_table('card_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('division_code', sa.String(length=6), nullable=False),
    sa.Column('maker', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('card_count', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('produced_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_batches')),
    sa.UniqueConstraint('public_id', name=op.f('uq_card_batches_public_id'))
    )
    with op.batch_alter_table('card_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_batches_division_code'), ['division_code'], unique=False)

    op.create_table('card_scenario_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_scenario_settings')),
    sa.UniqueConstraint('code', name=op.f('uq_card_scenario_settings_code'))
    )
    op.create_table('card_signing_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_key', sa.LargeBinary(length=32), nullable=False),
    sa.Column('private_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_signing_keys'))
    )
    op.create_table('card_terminals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('key_id', sa.String(length=40), nullable=False),
    sa.Column('secret_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('scenario', sa.String(length=32), nullable=False),
    sa.Column('division_code', sa.String(length=6), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_terminals')),
    sa.UniqueConstraint('key_id', name=op.f('uq_card_terminals_key_id')),
    sa.UniqueConstraint('public_id', name=op.f('uq_card_terminals_public_id'))
    )
    with op.batch_alter_table('card_terminals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_terminals_division_code'), ['division_code'], unique=False)

    op.create_table('card_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('live_person_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('issuing_division', sa.String(length=6), nullable=False),
    sa.Column('bank_code', sa.String(length=16), nullable=False),
    sa.Column('serial', sa.Integer(), nullable=True),
    sa.Column('card_number_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('card_number_index', sa.LargeBinary(length=20), nullable=True),
    sa.Column('card_number_masked', sa.String(length=16), nullable=True),
    sa.Column('bank_account_encrypted', sa.LargeBinary(), nullable=True),
    sa.Column('bank_account_index', sa.LargeBinary(length=20), nullable=True),
    sa.Column('bank_account_masked', sa.String(length=24), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('applied_by', sa.String(length=64), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('produced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lost_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_reason', sa.String(length=200), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['card_batches.id'], name=op.f('fk_card_cards_batch_id_card_batches')),
    sa.ForeignKeyConstraint(['live_person_id'], ['persons.id'], name=op.f('fk_card_cards_live_person_id_persons')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_card_cards_person_id_persons')),
    sa.ForeignKeyConstraint(['replaces_id'], ['card_cards.id'], name=op.f('fk_card_cards_replaces_id_card_cards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_cards')),
    sa.UniqueConstraint('card_number_index', name=op.f('uq_card_cards_card_number_index')),
    sa.UniqueConstraint('live_person_id', name=op.f('uq_card_cards_live_person_id')),
    sa.UniqueConstraint('public_id', name=op.f('uq_card_cards_public_id')),
    sa.UniqueConstraint('serial', name=op.f('uq_card_cards_serial'))
    )
    with op.batch_alter_table('card_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_cards_bank_account_index'), ['bank_account_index'], unique=False)
        batch_op.create_index(batch_op.f('ix_card_cards_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_card_cards_issuing_division'), ['issuing_division'], unique=False)
        batch_op.create_index(batch_op.f('ix_card_cards_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_card_cards_status'), ['status'], unique=False)

    op.create_table('card_sign_in_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('app_id', sa.Integer(), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('result_token', sa.Text(), nullable=True),
    sa.Column('delivery', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['app_id'], ['card_apps.id'], name=op.f('fk_card_sign_in_requests_app_id_card_apps')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_card_sign_in_requests_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_sign_in_requests')),
    sa.UniqueConstraint('public_id', name=op.f('uq_card_sign_in_requests_public_id'))
    )
    with op.batch_alter_table('card_sign_in_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_sign_in_requests_app_id'), ['app_id'], unique=False)

    op.create_table('card_esscs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['card_id'], ['card_cards.id'], name=op.f('fk_card_esscs_card_id_card_cards')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_card_esscs_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_esscs')),
    sa.UniqueConstraint('card_id', name=op.f('uq_card_esscs_card_id')),
    sa.UniqueConstraint('public_id', name=op.f('uq_card_esscs_public_id'))
    )
    with op.batch_alter_table('card_esscs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_esscs_person_id'), ['person_id'], unique=False)

    op.create_table('card_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=True),
    sa.Column('programme', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('bank_account_masked', sa.String(length=24), nullable=True),
    sa.Column('posted_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['card_id'], ['card_cards.id'], name=op.f('fk_card_payments_card_id_card_cards')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_card_payments_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_payments')),
    sa.UniqueConstraint('public_id', name=op.f('uq_card_payments_public_id')),
    sa.UniqueConstraint('reference', name=op.f('uq_card_payments_reference'))
    )
    with op.batch_alter_table('card_payments', schema=None) as batch_op:
        batch_op.create_index('ix_card_payments_person_created', ['person_id', 'created_at'], unique=False)

    op.create_table('card_code_nonces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.LargeBinary(length=8), nullable=False),
    sa.Column('essc_id', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['essc_id'], ['card_esscs.id'], name=op.f('fk_card_code_nonces_essc_id_card_esscs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_code_nonces')),
    sa.UniqueConstraint('nonce', name=op.f('uq_card_code_nonces_nonce'))
    )
    with op.batch_alter_table('card_code_nonces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_code_nonces_expires_at'), ['expires_at'], unique=False)

    op.create_table('card_scans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('terminal_id', sa.Integer(), nullable=False),
    sa.Column('essc_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('scenario', sa.String(length=32), nullable=False),
    sa.Column('division_code', sa.String(length=6), nullable=False),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=True),
    sa.Column('allowed', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['essc_id'], ['card_esscs.id'], name=op.f('fk_card_scans_essc_id_card_esscs')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_card_scans_person_id_persons')),
    sa.ForeignKeyConstraint(['terminal_id'], ['card_terminals.id'], name=op.f('fk_card_scans_terminal_id_card_terminals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_scans')),
    sa.UniqueConstraint('public_id', name=op.f('uq_card_scans_public_id'))
    )
    with op.batch_alter_table('card_scans', schema=None) as batch_op:
        batch_op.create_index('ix_card_scans_person_at', ['person_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_card_scans_terminal_id'), ['terminal_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('card_scans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_scans_terminal_id'))
        batch_op.drop_index('ix_card_scans_person_at')

    op.drop_table('card_scans')
    with op.batch_alter_table('card_code_nonces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_code_nonces_expires_at'))

    op.drop_table('card_code_nonces')
    with op.batch_alter_table('card_payments', schema=None) as batch_op:
        batch_op.drop_index('ix_card_payments_person_created')

    op.drop_table('card_payments')
    with op.batch_alter_table('card_esscs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_esscs_person_id'))

    op.drop_table('card_esscs')
    with op.batch_alter_table('card_sign_in_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_sign_in_requests_app_id'))

    op.drop_table('card_sign_in_requests')
    with op.batch_alter_table('card_cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_cards_status'))
        batch_op.drop_index(batch_op.f('ix_card_cards_person_id'))
        batch_op.drop_index(batch_op.f('ix_card_cards_issuing_division'))
        batch_op.drop_index(batch_op.f('ix_card_cards_batch_id'))
        batch_op.drop_index(batch_op.f('ix_card_cards_bank_account_index'))

    op.drop_table('card_cards')
    with op.batch_alter_table('card_terminals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_terminals_division_code'))

    op.drop_table('card_terminals')
    op.drop_table('card_signing_keys')
    op.drop_table('card_scenario_settings')
    with op.batch_alter_table('card_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_batches_division_code'))

    op.drop_table('card_batches')
    op.drop_table('card_apps')
