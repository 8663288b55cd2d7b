"""electronic certificate library

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 21:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cert_counters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cert_counters')),
    sa.UniqueConstraint('scope', name=op.f('uq_cert_counters_scope'))
    )
    op.create_table('cert_issuers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('division_code', sa.String(length=6), nullable=False),
    sa.Column('seal_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cert_issuers')),
    sa.UniqueConstraint('code', name=op.f('uq_cert_issuers_code'))
    )
    with op.batch_alter_table('cert_issuers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cert_issuers_division_code'), ['division_code'], unique=False)

    op.create_table('cert_status_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('list_no', sa.Integer(), nullable=False),
    sa.Column('bits', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cert_status_lists')),
    sa.UniqueConstraint('purpose', 'list_no', name=op.f('uq_cert_status_lists_purpose'))
    )
    op.create_table('cert_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('issuer_id', sa.Integer(), nullable=False),
    sa.Column('alg', sa.String(length=16), nullable=False),
    sa.Column('public_key', sa.String(length=200), nullable=False),
    sa.Column('private_key_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=False),
    sa.Column('not_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('seal', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['issuer_id'], ['cert_issuers.id'], name=op.f('fk_cert_keys_issuer_id_cert_issuers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cert_keys')),
    sa.UniqueConstraint('kid', name=op.f('uq_cert_keys_kid'))
    )
    with op.batch_alter_table('cert_keys', schema=None) as batch_op:
        batch_op.create_index('ix_cert_keys_issuer_alg_status', ['issuer_id', 'alg', 'status'], unique=False)

    op.create_table('certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('identifier', sa.String(length=100), nullable=False),
    sa.Column('type_key', sa.String(length=64), nullable=False),
    sa.Column('type_code', sa.String(length=21), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('issuer_id', sa.Integer(), nullable=False),
    sa.Column('issuer_code', sa.String(length=18), nullable=False),
    sa.Column('issuer_name', sa.String(length=200), nullable=False),
    sa.Column('serial', sa.String(length=32), nullable=False),
    sa.Column('cert_version', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('holder_name', sa.String(length=64), nullable=False),
    sa.Column('holder_code_type', sa.String(length=3), nullable=False),
    sa.Column('holder_code_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('holder_code_masked', sa.String(length=32), nullable=False),
    sa.Column('holder_division', sa.String(length=6), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('issue_date', sa.Date(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('signer', sa.String(length=64), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seal_name', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_reason', sa.String(length=200), nullable=True),
    sa.Column('superseded_by', sa.String(length=100), nullable=True),
    sa.Column('status_list_no', sa.Integer(), nullable=False),
    sa.Column('status_index', sa.Integer(), nullable=False),
    sa.Column('jws', sa.Text(), nullable=False),
    sa.Column('jws_kid', sa.String(length=64), nullable=False),
    sa.Column('seal_signature', sa.JSON(), nullable=False),
    sa.Column('seal_kid', sa.String(length=64), nullable=False),
    sa.Column('qr_payload', sa.Text(), nullable=False),
    sa.Column('issued_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['issuer_id'], ['cert_issuers.id'], name=op.f('fk_certificates_issuer_id_cert_issuers')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_certificates_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
    sa.UniqueConstraint('identifier', name=op.f('uq_certificates_identifier')),
    sa.UniqueConstraint('public_id', name=op.f('uq_certificates_public_id')),
    sa.UniqueConstraint('type_code', 'issuer_code', 'serial', 'cert_version', name=op.f('uq_certificates_type_code'))
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificates_holder_division'), ['holder_division'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_status'), ['status'], unique=False)
        batch_op.create_index('ix_certificates_status_list', ['status_list_no', 'status_index'], unique=True)
        batch_op.create_index(batch_op.f('ix_certificates_type_key'), ['type_key'], unique=False)

    op.create_table('cert_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=100), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_cert_links_certificate_id_certificates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cert_links')),
    sa.UniqueConstraint('token', name=op.f('uq_cert_links_token'))
    )
    with op.batch_alter_table('cert_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cert_links_certificate_id'), ['certificate_id'], unique=False)

    op.create_table('cert_verifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('verifier', sa.String(length=200), nullable=False),
    sa.Column('client_addr', sa.String(length=64), nullable=False),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_cert_verifications_certificate_id_certificates')),
    sa.ForeignKeyConstraint(['link_id'], ['cert_links.id'], name=op.f('fk_cert_verifications_link_id_cert_links')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cert_verifications'))
    )
    with op.batch_alter_table('cert_verifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cert_verifications_certificate_id'), ['certificate_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('cert_verifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cert_verifications_certificate_id'))

    op.drop_table('cert_verifications')
    with op.batch_alter_table('cert_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cert_links_certificate_id'))

    op.drop_table('cert_links')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificates_type_key'))
        batch_op.drop_index('ix_certificates_status_list')
        batch_op.drop_index(batch_op.f('ix_certificates_status'))
        batch_op.drop_index(batch_op.f('ix_certificates_person_id'))
        batch_op.drop_index(batch_op.f('ix_certificates_holder_division'))

    op.drop_table('certificates')
    with op.batch_alter_table('cert_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_cert_keys_issuer_alg_status')

    op.drop_table('cert_keys')
    op.drop_table('cert_status_lists')
    with op.batch_alter_table('cert_issuers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cert_issuers_division_code'))

    op.drop_table('cert_issuers')
    op.drop_table('cert_counters')
