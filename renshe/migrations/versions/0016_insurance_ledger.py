"""insurance ledger

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 13:34:01.280561
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ins_parameters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('key', sa.String(length=48), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('entered_by', sa.String(length=64), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ins_parameters')),
    sa.UniqueConstraint('province', 'key', 'effective_from', name='uq_ins_parameters_when')
    )
    with op.batch_alter_table('ins_parameters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ins_parameters_key'), ['key'], unique=False)
        batch_op.create_index(batch_op.f('ix_ins_parameters_province'), ['province'], unique=False)

    op.create_table('ins_account_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('entry_date', sa.Date(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(length=64), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_ins_account_entries_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ins_account_entries')),
    sa.UniqueConstraint('source', name=op.f('uq_ins_account_entries_source'))
    )
    with op.batch_alter_table('ins_account_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ins_account_entries_person_on', ['person_id', 'entry_date'], unique=False)

    op.create_table('ins_interest_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('last_person_id', sa.Integer(), nullable=False),
    sa.Column('accounts', sa.Integer(), nullable=False),
    sa.Column('interest_fen', sa.BigInteger(), nullable=False),
    sa.Column('rate', sa.String(length=16), nullable=False),
    sa.Column('rate_parameter_id', sa.Integer(), nullable=False),
    sa.Column('started_by', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['rate_parameter_id'], ['ins_parameters.id'], name=op.f('fk_ins_interest_runs_rate_parameter_id_ins_parameters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ins_interest_runs')),
    sa.UniqueConstraint('province', 'year', name='uq_ins_interest_runs_year')
    )
    op.create_table('ins_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('employer_public_id', sa.String(length=32), nullable=False),
    sa.Column('employer_name', sa.String(length=200), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('insurance_type', sa.String(length=3), nullable=False),
    sa.Column('division_code', sa.String(length=6), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('registered_on', sa.Date(), nullable=False),
    sa.Column('registered_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], name=op.f('fk_ins_units_employer_id_employers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ins_units')),
    sa.UniqueConstraint('employer_id', 'insurance_type', name='uq_ins_units_employer_type'),
    sa.UniqueConstraint('public_id', name=op.f('uq_ins_units_public_id'))
    )
    with op.batch_alter_table('ins_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ins_units_credit_code'), ['credit_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_ins_units_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_ins_units_employer_id'), ['employer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ins_units_employer_public_id'), ['employer_public_id'], unique=False)

    op.create_table('ins_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('owner', sa.String(length=40), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('basis', sa.Integer(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('assessed_by', sa.String(length=64), nullable=False),
    sa.Column('assessed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['ins_units.id'], name=op.f('fk_ins_assessments_unit_id_ins_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ins_assessments')),
    sa.UniqueConstraint('owner', 'month', 'basis', name='uq_ins_assessments_basis'),
    sa.UniqueConstraint('public_id', name=op.f('uq_ins_assessments_public_id'))
    )
    with op.batch_alter_table('ins_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ins_assessments_unit_id'), ['unit_id'], unique=False)

    op.create_table('ins_declarations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('owner', sa.String(length=40), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('submitted_by', sa.String(length=64), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['ins_units.id'], name=op.f('fk_ins_declarations_unit_id_ins_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ins_declarations')),
    sa.UniqueConstraint('owner', 'key', name='uq_ins_declarations_key'),
    sa.UniqueConstraint('public_id', name=op.f('uq_ins_declarations_public_id'))
    )
    with op.batch_alter_table('ins_declarations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ins_declarations_unit_id'), ['unit_id'], unique=False)

    op.create_table('ins_relations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('person_public_id', sa.String(length=32), nullable=False),
    sa.Column('person_name', sa.String(length=64), nullable=False),
    sa.Column('id_number_masked', sa.String(length=18), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('insurance_type', sa.String(length=3), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('start_reason', sa.String(length=4), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('end_reason', sa.String(length=4), nullable=True),
    sa.Column('open_key', sa.String(length=80), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_ins_relations_person_id_persons')),
    sa.ForeignKeyConstraint(['unit_id'], ['ins_units.id'], name=op.f('fk_ins_relations_unit_id_ins_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ins_relations')),
    sa.UniqueConstraint('open_key', name=op.f('uq_ins_relations_open_key')),
    sa.UniqueConstraint('public_id', name=op.f('uq_ins_relations_public_id'))
    )
    with op.batch_alter_table('ins_relations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ins_relations_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ins_relations_person_public_id'), ['person_public_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ins_relations_unit_id'), ['unit_id'], unique=False)

    op.create_table('ins_declared_bases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('declaration_id', sa.Integer(), nullable=False),
    sa.Column('relation_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('from_month', sa.Integer(), nullable=False),
    sa.Column('declared_fen', sa.BigInteger(), nullable=False),
    sa.Column('base_fen', sa.BigInteger(), nullable=False),
    sa.Column('clamp', sa.String(length=8), nullable=True),
    sa.Column('floor_fen', sa.BigInteger(), nullable=False),
    sa.Column('cap_fen', sa.BigInteger(), nullable=False),
    sa.Column('wage_parameter_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['declaration_id'], ['ins_declarations.id'], name=op.f('fk_ins_declared_bases_declaration_id_ins_declarations')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_ins_declared_bases_person_id_persons')),
    sa.ForeignKeyConstraint(['relation_id'], ['ins_relations.id'], name=op.f('fk_ins_declared_bases_relation_id_ins_relations')),
    sa.ForeignKeyConstraint(['wage_parameter_id'], ['ins_parameters.id'], name=op.f('fk_ins_declared_bases_wage_parameter_id_ins_parameters')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ins_declared_bases'))
    )
    with op.batch_alter_table('ins_declared_bases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ins_declared_bases_declaration_id'), ['declaration_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ins_declared_bases_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_ins_declared_bases_relation_year', ['relation_id', 'year'], unique=False)

    op.create_table('ins_dues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('relation_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('insurance_type', sa.String(length=3), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('side', sa.String(length=16), nullable=False),
    sa.Column('base_fen', sa.BigInteger(), nullable=False),
    sa.Column('rate_ppm', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('account_fen', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['ins_assessments.id'], name=op.f('fk_ins_dues_assessment_id_ins_assessments')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_ins_dues_person_id_persons')),
    sa.ForeignKeyConstraint(['relation_id'], ['ins_relations.id'], name=op.f('fk_ins_dues_relation_id_ins_relations')),
    sa.ForeignKeyConstraint(['unit_id'], ['ins_units.id'], name=op.f('fk_ins_dues_unit_id_ins_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ins_dues'))
    )
    with op.batch_alter_table('ins_dues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ins_dues_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ins_dues_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_ins_dues_relation_month', ['relation_id', 'month'], unique=False)
        batch_op.create_index('ix_ins_dues_unit_month', ['unit_id', 'month'], unique=False)

    op.create_table('ins_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_no', sa.String(length=40), nullable=False),
    sa.Column('batch', sa.String(length=64), nullable=False),
    sa.Column('payer_code', sa.String(length=18), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('relation_id', sa.Integer(), nullable=True),
    sa.Column('insurance_type', sa.String(length=3), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('matched', sa.Boolean(), nullable=False),
    sa.Column('imported_by', sa.String(length=64), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['relation_id'], ['ins_relations.id'], name=op.f('fk_ins_receipts_relation_id_ins_relations')),
    sa.ForeignKeyConstraint(['unit_id'], ['ins_units.id'], name=op.f('fk_ins_receipts_unit_id_ins_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ins_receipts')),
    sa.UniqueConstraint('receipt_no', name=op.f('uq_ins_receipts_receipt_no'))
    )
    with op.batch_alter_table('ins_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ins_receipts_batch'), ['batch'], unique=False)
        batch_op.create_index(batch_op.f('ix_ins_receipts_unit_id'), ['unit_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ins_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ins_receipts_unit_id'))
        batch_op.drop_index(batch_op.f('ix_ins_receipts_batch'))

    op.drop_table('ins_receipts')
    with op.batch_alter_table('ins_dues', schema=None) as batch_op:
        batch_op.drop_index('ix_ins_dues_unit_month')
        batch_op.drop_index('ix_ins_dues_relation_month')
        batch_op.drop_index(batch_op.f('ix_ins_dues_person_id'))
        batch_op.drop_index(batch_op.f('ix_ins_dues_assessment_id'))

    op.drop_table('ins_dues')
    with op.batch_alter_table('ins_declared_bases', schema=None) as batch_op:
        batch_op.drop_index('ix_ins_declared_bases_relation_year')
        batch_op.drop_index(batch_op.f('ix_ins_declared_bases_person_id'))
        batch_op.drop_index(batch_op.f('ix_ins_declared_bases_declaration_id'))

    op.drop_table('ins_declared_bases')
    with op.batch_alter_table('ins_relations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ins_relations_unit_id'))
        batch_op.drop_index(batch_op.f('ix_ins_relations_person_public_id'))
        batch_op.drop_index(batch_op.f('ix_ins_relations_person_id'))

    op.drop_table('ins_relations')
    with op.batch_alter_table('ins_declarations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ins_declarations_unit_id'))

    op.drop_table('ins_declarations')
    with op.batch_alter_table('ins_assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ins_assessments_unit_id'))

    op.drop_table('ins_assessments')
    with op.batch_alter_table('ins_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ins_units_employer_public_id'))
        batch_op.drop_index(batch_op.f('ix_ins_units_employer_id'))
        batch_op.drop_index(batch_op.f('ix_ins_units_division_code'))
        batch_op.drop_index(batch_op.f('ix_ins_units_credit_code'))

    op.drop_table('ins_units')
    op.drop_table('ins_interest_runs')
    with op.batch_alter_table('ins_account_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_ins_account_entries_person_on')

    op.drop_table('ins_account_entries')
    with op.batch_alter_table('ins_parameters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ins_parameters_province'))
        batch_op.drop_index(batch_op.f('ix_ins_parameters_key'))

    op.drop_table('ins_parameters')
