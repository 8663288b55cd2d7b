"""one-network service hall

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 21:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hall_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('division_code', sa.String(length=6), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('case_type', sa.String(length=16), nullable=False),
    sa.Column('legal_limit_days', sa.Integer(), nullable=False),
    sa.Column('promised_limit_days', sa.Integer(), nullable=False),
    sa.Column('based_on_version', sa.Integer(), nullable=False),
    sa.Column('adaptation_due', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('current_revision', sa.Integer(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hall_items')),
    sa.UniqueConstraint('code', 'division_code', name=op.f('uq_hall_items_code'))
    )
    with op.batch_alter_table('hall_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hall_items_code'), ['code'], unique=False)

    op.create_table('hall_national_specs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('case_type', sa.String(length=16), nullable=False),
    sa.Column('legal_limit_days', sa.Integer(), nullable=False),
    sa.Column('guide', sa.JSON(), nullable=False),
    sa.Column('form', sa.JSON(), nullable=False),
    sa.Column('materials', sa.JSON(), nullable=False),
    sa.Column('workflow', sa.JSON(), nullable=False),
    sa.Column('change_note', sa.String(length=500), nullable=False),
    sa.Column('published_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hall_national_specs')),
    sa.UniqueConstraint('code', 'version', name=op.f('uq_hall_national_specs_code'))
    )
    with op.batch_alter_table('hall_national_specs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hall_national_specs_code'), ['code'], unique=False)

    op.create_table('hall_item_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('national_version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('case_type', sa.String(length=16), nullable=False),
    sa.Column('legal_limit_days', sa.Integer(), nullable=False),
    sa.Column('promised_limit_days', sa.Integer(), nullable=False),
    sa.Column('guide', sa.JSON(), nullable=False),
    sa.Column('form', sa.JSON(), nullable=False),
    sa.Column('materials', sa.JSON(), nullable=False),
    sa.Column('workflow', sa.JSON(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['hall_items.id'], name=op.f('fk_hall_item_revisions_item_id_hall_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hall_item_revisions')),
    sa.UniqueConstraint('item_id', 'revision', name=op.f('uq_hall_item_revisions_item_id'))
    )
    with op.batch_alter_table('hall_item_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hall_item_revisions_item_id'), ['item_id'], unique=False)

    op.create_table('hall_applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('item_code', sa.String(length=40), nullable=False),
    sa.Column('item_name', sa.String(length=100), nullable=False),
    sa.Column('case_type', sa.String(length=16), nullable=False),
    sa.Column('applicant_id', sa.Integer(), nullable=False),
    sa.Column('applicant_name', sa.String(length=64), nullable=False),
    sa.Column('applicant_id_masked', sa.String(length=18), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('division_code', sa.String(length=6), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('form_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('prefill', sa.JSON(), nullable=False),
    sa.Column('representation', sa.JSON(), nullable=True),
    sa.Column('supplement_request', sa.JSON(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_by', sa.String(length=64), nullable=True),
    sa.Column('reviewed_by', sa.String(length=64), nullable=True),
    sa.Column('promised_limit_days', sa.Integer(), nullable=False),
    sa.Column('legal_limit_days', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('paused_workdays', sa.Integer(), nullable=False),
    sa.Column('paused_since', sa.Date(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivery_method', sa.String(length=32), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['persons.id'], name=op.f('fk_hall_applications_agent_id_persons')),
    sa.ForeignKeyConstraint(['applicant_id'], ['persons.id'], name=op.f('fk_hall_applications_applicant_id_persons')),
    sa.ForeignKeyConstraint(['item_id'], ['hall_items.id'], name=op.f('fk_hall_applications_item_id_hall_items')),
    sa.ForeignKeyConstraint(['revision_id'], ['hall_item_revisions.id'], name=op.f('fk_hall_applications_revision_id_hall_item_revisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hall_applications')),
    sa.UniqueConstraint('number', name=op.f('uq_hall_applications_number')),
    sa.UniqueConstraint('public_id', name=op.f('uq_hall_applications_public_id'))
    )
    with op.batch_alter_table('hall_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hall_applications_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hall_applications_applicant_id'), ['applicant_id'], unique=False)
        batch_op.create_index('ix_hall_applications_due', ['state', 'due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_hall_applications_item_code'), ['item_code'], unique=False)
        batch_op.create_index('ix_hall_applications_queue', ['division_code', 'state'], unique=False)

    op.create_table('hall_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('decided_by', sa.String(length=64), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('result_number', sa.String(length=40), nullable=False),
    sa.Column('snapshot_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('snapshot_sm3', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['hall_applications.id'], name=op.f('fk_hall_decisions_application_id_hall_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hall_decisions')),
    sa.UniqueConstraint('result_number', name=op.f('uq_hall_decisions_result_number'))
    )
    with op.batch_alter_table('hall_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hall_decisions_application_id'), ['application_id'], unique=False)

    op.create_table('hall_materials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('material_code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sm3', sa.String(length=64), nullable=False),
    sa.Column('stored_as', sa.String(length=200), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['hall_applications.id'], name=op.f('fk_hall_materials_application_id_hall_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hall_materials'))
    )
    with op.batch_alter_table('hall_materials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hall_materials_application_id'), ['application_id'], unique=False)

    op.create_table('hall_transitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_state', sa.String(length=32), nullable=True),
    sa.Column('to_state', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('actor_name', sa.String(length=64), nullable=False),
    sa.Column('actor_kind', sa.String(length=16), nullable=False),
    sa.Column('division_code', sa.String(length=6), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['hall_applications.id'], name=op.f('fk_hall_transitions_application_id_hall_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hall_transitions')),
    sa.UniqueConstraint('application_id', 'seq', name=op.f('uq_hall_transitions_application_id'))
    )
    with op.batch_alter_table('hall_transitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hall_transitions_application_id'), ['application_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('hall_transitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hall_transitions_application_id'))

    op.drop_table('hall_transitions')
    with op.batch_alter_table('hall_materials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hall_materials_application_id'))

    op.drop_table('hall_materials')
    with op.batch_alter_table('hall_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hall_decisions_application_id'))

    op.drop_table('hall_decisions')
    with op.batch_alter_table('hall_applications', schema=None) as batch_op:
        batch_op.drop_index('ix_hall_applications_queue')
        batch_op.drop_index(batch_op.f('ix_hall_applications_item_code'))
        batch_op.drop_index('ix_hall_applications_due')
        batch_op.drop_index(batch_op.f('ix_hall_applications_applicant_id'))
        batch_op.drop_index(batch_op.f('ix_hall_applications_agent_id'))

    op.drop_table('hall_applications')
    with op.batch_alter_table('hall_item_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hall_item_revisions_item_id'))

    op.drop_table('hall_item_revisions')
    with op.batch_alter_table('hall_national_specs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hall_national_specs_code'))

    op.drop_table('hall_national_specs')
    with op.batch_alter_table('hall_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hall_items_code'))

    op.drop_table('hall_items')
