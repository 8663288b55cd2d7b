"""overdue supervision, reviews and rectification, feedback, cross-province, bundles

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 21:25:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hall_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('item_code', sa.String(length=40), nullable=True),
    sa.Column('raised_by', sa.String(length=64), nullable=False),
    sa.Column('raised_by_name', sa.String(length=64), nullable=False),
    sa.Column('raised_kind', sa.String(length=16), nullable=False),
    sa.Column('origin_division', sa.String(length=6), nullable=False),
    sa.Column('division_code', sa.String(length=6), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('assigned_by', sa.String(length=64), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hall_feedback')),
    sa.UniqueConstraint('public_id', name=op.f('uq_hall_feedback_public_id'))
    )
    with op.batch_alter_table('hall_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hall_feedback_division_code'), ['division_code'], unique=False)

    op.create_table('hall_peer_nodes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('province_code', sa.String(length=6), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('base_url', sa.String(length=300), nullable=False),
    sa.Column('secret_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hall_peer_nodes')),
    sa.UniqueConstraint('province_code', name=op.f('uq_hall_peer_nodes_province_code'))
    )
    op.create_table('hall_bundle_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('bundle_code', sa.String(length=40), nullable=False),
    sa.Column('bundle_name', sa.String(length=100), nullable=False),
    sa.Column('applicant_id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['applicant_id'], ['persons.id'], name=op.f('fk_hall_bundle_applications_applicant_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hall_bundle_applications')),
    sa.UniqueConstraint('public_id', name=op.f('uq_hall_bundle_applications_public_id'))
    )
    with op.batch_alter_table('hall_bundle_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hall_bundle_applications_applicant_id'), ['applicant_id'], unique=False)

    op.create_table('hall_interprovince_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('peer_province', sa.String(length=6), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('origin_ref', sa.String(length=32), nullable=False),
    sa.Column('remote_ref', sa.String(length=32), nullable=True),
    sa.Column('remote_number', sa.String(length=32), nullable=True),
    sa.Column('remote_state', sa.String(length=32), nullable=True),
    sa.Column('remote_state_label', sa.String(length=64), nullable=True),
    sa.Column('remote_decision', sa.String(length=16), nullable=True),
    sa.Column('remote_reason', sa.Text(), nullable=True),
    sa.Column('remote_seq', sa.Integer(), nullable=False),
    sa.Column('remote_updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['hall_applications.id'], name=op.f('fk_hall_interprovince_links_application_id_hall_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hall_interprovince_links')),
    sa.UniqueConstraint('application_id', name=op.f('uq_hall_interprovince_links_application_id')),
    sa.UniqueConstraint('peer_province', 'role', 'origin_ref', name=op.f('uq_hall_interprovince_links_peer_province'))
    )
    op.create_table('hall_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('division_code', sa.String(length=6), nullable=False),
    sa.Column('item_code', sa.String(length=40), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('rated_by', sa.String(length=64), nullable=False),
    sa.Column('rated_on', sa.Date(), nullable=False),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['hall_applications.id'], name=op.f('fk_hall_reviews_application_id_hall_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hall_reviews')),
    sa.UniqueConstraint('application_id', name=op.f('uq_hall_reviews_application_id'))
    )
    with op.batch_alter_table('hall_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hall_reviews_division_code'), ['division_code'], unique=False)

    op.create_table('hall_supervision_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('handling_division', sa.String(length=6), nullable=False),
    sa.Column('supervising_division', sa.String(length=6), nullable=False),
    sa.Column('issued_by', sa.String(length=64), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('escalate_on', sa.Date(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['hall_applications.id'], name=op.f('fk_hall_supervision_notices_application_id_hall_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hall_supervision_notices')),
    sa.UniqueConstraint('application_id', 'level', name=op.f('uq_hall_supervision_notices_application_id'))
    )
    with op.batch_alter_table('hall_supervision_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hall_supervision_notices_escalate_on'), ['escalate_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_hall_supervision_notices_handling_division'), ['handling_division'], unique=False)
        batch_op.create_index(batch_op.f('ix_hall_supervision_notices_supervising_division'), ['supervising_division'], unique=False)

    op.create_table('hall_peer_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('peer_province', sa.String(length=6), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('body_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['link_id'], ['hall_interprovince_links.id'], name=op.f('fk_hall_peer_messages_link_id_hall_interprovince_links')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hall_peer_messages'))
    )
    with op.batch_alter_table('hall_peer_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hall_peer_messages_link_id'), ['link_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hall_peer_messages_sent_at'), ['sent_at'], unique=False)

    op.create_table('hall_rectifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('division_code', sa.String(length=6), nullable=False),
    sa.Column('item_code', sa.String(length=40), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('callback_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('callback_by', sa.String(length=64), nullable=True),
    sa.Column('callback_note', sa.Text(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('outcome_note', sa.Text(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('on_time', sa.Boolean(), nullable=True),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('public_summary', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['hall_applications.id'], name=op.f('fk_hall_rectifications_application_id_hall_applications')),
    sa.ForeignKeyConstraint(['review_id'], ['hall_reviews.id'], name=op.f('fk_hall_rectifications_review_id_hall_reviews')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hall_rectifications')),
    sa.UniqueConstraint('public_id', name=op.f('uq_hall_rectifications_public_id')),
    sa.UniqueConstraint('review_id', name=op.f('uq_hall_rectifications_review_id'))
    )
    with op.batch_alter_table('hall_rectifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hall_rectifications_division_code'), ['division_code'], unique=False)

    with op.batch_alter_table('hall_applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('elapsed_workdays', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('on_time', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('bundle_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_hall_applications_bundle_id'), ['bundle_id'], unique=False)
        batch_op.create_index('ix_hall_applications_supervision', ['state', 'due_date', 'division_code'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_hall_applications_bundle_id_hall_bundle_applications'), 'hall_bundle_applications', ['bundle_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('hall_applications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_hall_applications_bundle_id_hall_bundle_applications'), type_='foreignkey')
        batch_op.drop_index('ix_hall_applications_supervision')
        batch_op.drop_index(batch_op.f('ix_hall_applications_bundle_id'))
        batch_op.drop_column('bundle_id')
        batch_op.drop_column('on_time')
        batch_op.drop_column('elapsed_workdays')

    with op.batch_alter_table('hall_rectifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hall_rectifications_division_code'))

    op.drop_table('hall_rectifications')
    with op.batch_alter_table('hall_peer_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hall_peer_messages_sent_at'))
        batch_op.drop_index(batch_op.f('ix_hall_peer_messages_link_id'))

    op.drop_table('hall_peer_messages')
    with op.batch_alter_table('hall_supervision_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hall_supervision_notices_supervising_division'))
        batch_op.drop_index(batch_op.f('ix_hall_supervision_notices_handling_division'))
        batch_op.drop_index(batch_op.f('ix_hall_supervision_notices_escalate_on'))

    op.drop_table('hall_supervision_notices')
    with op.batch_alter_table('hall_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hall_reviews_division_code'))

    op.drop_table('hall_reviews')
    op.drop_table('hall_interprovince_links')
    with op.batch_alter_table('hall_bundle_applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hall_bundle_applications_applicant_id'))

    op.drop_table('hall_bundle_applications')
    op.drop_table('hall_peer_nodes')
    with op.batch_alter_table('hall_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hall_feedback_division_code'))

    op.drop_table('hall_feedback')
