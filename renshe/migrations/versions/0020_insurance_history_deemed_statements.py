"""insurance: historical data, deemed contribution periods, statement certificates

Historical contribution months and their import files with the reconciliation report (历史数据入库), deemed
contribution periods (视同缴费年限), and the statement certificate issued per ledger state (reused while the
ledger is unchanged).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 16:29:42.497457
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ins_history_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('province', sa.String(length=6), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('persons', sa.Integer(), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('base_fen', sa.BigInteger(), nullable=False),
    sa.Column('individual_fen', sa.BigInteger(), nullable=False),
    sa.Column('employer_fen', sa.BigInteger(), nullable=False),
    sa.Column('balances', sa.Integer(), nullable=False),
    sa.Column('balance_fen', sa.BigInteger(), nullable=False),
    sa.Column('deemed_months', sa.Integer(), nullable=False),
    sa.Column('conflicts', sa.Integer(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('imported_by', sa.String(length=64), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ins_history_imports')),
    sa.UniqueConstraint('key', name=op.f('uq_ins_history_imports_key')),
    sa.UniqueConstraint('public_id', name=op.f('uq_ins_history_imports_public_id'))
    )
    op.create_table('ins_deemed_periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('start_month', sa.Date(), nullable=False),
    sa.Column('end_month', sa.Date(), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('document', sa.String(length=200), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['ins_history_imports.id'], name=op.f('fk_ins_deemed_periods_import_id_ins_history_imports')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_ins_deemed_periods_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ins_deemed_periods'))
    )
    with op.batch_alter_table('ins_deemed_periods', schema=None) as batch_op:
        batch_op.create_index('ix_ins_deemed_periods_person', ['person_id', 'start_month'], unique=False)

    op.create_table('ins_history_months',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('insurance_type', sa.String(length=3), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('base_fen', sa.BigInteger(), nullable=False),
    sa.Column('individual_fen', sa.BigInteger(), nullable=False),
    sa.Column('employer_fen', sa.BigInteger(), nullable=False),
    sa.Column('unit_name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['ins_history_imports.id'], name=op.f('fk_ins_history_months_import_id_ins_history_imports')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_ins_history_months_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ins_history_months')),
    sa.UniqueConstraint('person_id', 'insurance_type', 'month', name='uq_ins_history_months_month')
    )
    with op.batch_alter_table('ins_history_months', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ins_history_months_import_id'), ['import_id'], unique=False)

    op.create_table('ins_statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('state_hash', sa.String(length=64), nullable=False),
    sa.Column('certificate', sa.String(length=100), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_ins_statements_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ins_statements'))
    )
    with op.batch_alter_table('ins_statements', schema=None) as batch_op:
        batch_op.create_index('ix_ins_statements_person', ['person_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ins_statements', schema=None) as batch_op:
        batch_op.drop_index('ix_ins_statements_person')

    op.drop_table('ins_statements')
    with op.batch_alter_table('ins_history_months', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ins_history_months_import_id'))

    op.drop_table('ins_history_months')
    with op.batch_alter_table('ins_deemed_periods', schema=None) as batch_op:
        batch_op.drop_index('ix_ins_deemed_periods_person')

    op.drop_table('ins_deemed_periods')
    op.drop_table('ins_history_imports')
