"""migrant workers' wage payment monitoring (农民工工资支付监控)

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-03 07:48:54.392518
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from renshe.core.db import UTCDateTime

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('wage_projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('division_code', sa.String(length=6), nullable=False),
    sa.Column('contractor_credit_code', sa.String(length=18), nullable=False),
    sa.Column('contractor_name', sa.String(length=200), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('pay_day', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wage_projects')),
    sa.UniqueConstraint('public_id', name=op.f('uq_wage_projects_public_id'))
    )
    with op.batch_alter_table('wage_projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wage_projects_contractor_credit_code'), ['contractor_credit_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_wage_projects_division_code'), ['division_code'], unique=False)

    op.create_table('wage_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('bank', sa.String(length=100), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['wage_projects.id'], name=op.f('fk_wage_accounts_project_id_wage_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wage_accounts')),
    sa.UniqueConstraint('project_id', name=op.f('uq_wage_accounts_project_id'))
    )
    op.create_table('wage_clues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tracking_number', sa.String(length=20), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('project_name', sa.String(length=200), nullable=False),
    sa.Column('employer_name', sa.String(length=200), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('months', sa.String(length=100), nullable=False),
    sa.Column('phone_encrypted', sa.LargeBinary(), nullable=False),
    sa.Column('phone_masked', sa.String(length=11), nullable=False),
    sa.Column('reporter_public_id', sa.String(length=32), nullable=True),
    sa.Column('division_code', sa.String(length=6), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('outcome', sa.String(length=500), nullable=True),
    sa.Column('handled_by', sa.String(length=64), nullable=True),
    sa.Column('closed_at', UTCDateTime(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['wage_projects.id'], name=op.f('fk_wage_clues_project_id_wage_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wage_clues')),
    sa.UniqueConstraint('tracking_number', name=op.f('uq_wage_clues_tracking_number'))
    )
    with op.batch_alter_table('wage_clues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wage_clues_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_wage_clues_project_id'), ['project_id'], unique=False)

    op.create_table('wage_deposits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['wage_projects.id'], name=op.f('fk_wage_deposits_project_id_wage_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wage_deposits'))
    )
    with op.batch_alter_table('wage_deposits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wage_deposits_project_id'), ['project_id'], unique=False)

    op.create_table('wage_firms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['wage_projects.id'], name=op.f('fk_wage_firms_project_id_wage_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wage_firms')),
    sa.UniqueConstraint('project_id', 'credit_code', name=op.f('uq_wage_firms_project_id'))
    )
    with op.batch_alter_table('wage_firms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wage_firms_project_id'), ['project_id'], unique=False)

    op.create_table('wage_pay_sheets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('via_special_account', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['wage_projects.id'], name=op.f('fk_wage_pay_sheets_project_id_wage_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wage_pay_sheets')),
    sa.UniqueConstraint('project_id', 'month', name=op.f('uq_wage_pay_sheets_project_id')),
    sa.UniqueConstraint('public_id', name=op.f('uq_wage_pay_sheets_public_id'))
    )
    with op.batch_alter_table('wage_pay_sheets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wage_pay_sheets_project_id'), ['project_id'], unique=False)

    op.create_table('wage_warnings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('rule', sa.String(length=32), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('division_code', sa.String(length=6), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('worker_key', sa.Integer(), nullable=False),
    sa.Column('observed', sa.BigInteger(), nullable=True),
    sa.Column('expected', sa.BigInteger(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('raised_on', sa.Date(), nullable=False),
    sa.Column('outcome', sa.String(length=500), nullable=True),
    sa.Column('closed_by', sa.String(length=64), nullable=True),
    sa.Column('closed_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['wage_projects.id'], name=op.f('fk_wage_warnings_project_id_wage_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wage_warnings')),
    sa.UniqueConstraint('public_id', name=op.f('uq_wage_warnings_public_id')),
    sa.UniqueConstraint('rule', 'project_id', 'month', 'worker_key', name=op.f('uq_wage_warnings_rule'))
    )
    with op.batch_alter_table('wage_warnings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wage_warnings_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_wage_warnings_project_id'), ['project_id'], unique=False)

    op.create_table('wage_workers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('firm_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('person_public_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('id_number_masked', sa.String(length=18), nullable=False),
    sa.Column('trade', sa.String(length=64), nullable=False),
    sa.Column('entered_on', sa.Date(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['firm_id'], ['wage_firms.id'], name=op.f('fk_wage_workers_firm_id_wage_firms')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_wage_workers_person_id_persons')),
    sa.ForeignKeyConstraint(['project_id'], ['wage_projects.id'], name=op.f('fk_wage_workers_project_id_wage_projects')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wage_workers')),
    sa.UniqueConstraint('project_id', 'person_id', name=op.f('uq_wage_workers_project_id')),
    sa.UniqueConstraint('public_id', name=op.f('uq_wage_workers_public_id'))
    )
    with op.batch_alter_table('wage_workers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wage_workers_firm_id'), ['firm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wage_workers_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wage_workers_project_id'), ['project_id'], unique=False)

    op.create_table('wage_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['wage_projects.id'], name=op.f('fk_wage_attendance_project_id_wage_projects')),
    sa.ForeignKeyConstraint(['worker_id'], ['wage_workers.id'], name=op.f('fk_wage_attendance_worker_id_wage_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wage_attendance')),
    sa.UniqueConstraint('worker_id', 'month', name=op.f('uq_wage_attendance_worker_id'))
    )
    with op.batch_alter_table('wage_attendance', schema=None) as batch_op:
        batch_op.create_index('ix_wage_attendance_project_month', ['project_id', 'month', 'days'], unique=False)

    op.create_table('wage_pay_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sheet_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['sheet_id'], ['wage_pay_sheets.id'], name=op.f('fk_wage_pay_lines_sheet_id_wage_pay_sheets')),
    sa.ForeignKeyConstraint(['worker_id'], ['wage_workers.id'], name=op.f('fk_wage_pay_lines_worker_id_wage_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wage_pay_lines')),
    sa.UniqueConstraint('sheet_id', 'worker_id', name=op.f('uq_wage_pay_lines_sheet_id'))
    )
    with op.batch_alter_table('wage_pay_lines', schema=None) as batch_op:
        batch_op.create_index('ix_wage_pay_lines_sheet_amount', ['sheet_id', 'amount_fen'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('wage_pay_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_wage_pay_lines_sheet_amount')

    op.drop_table('wage_pay_lines')
    with op.batch_alter_table('wage_attendance', schema=None) as batch_op:
        batch_op.drop_index('ix_wage_attendance_project_month')

    op.drop_table('wage_attendance')
    with op.batch_alter_table('wage_workers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wage_workers_project_id'))
        batch_op.drop_index(batch_op.f('ix_wage_workers_person_id'))
        batch_op.drop_index(batch_op.f('ix_wage_workers_firm_id'))

    op.drop_table('wage_workers')
    with op.batch_alter_table('wage_warnings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wage_warnings_project_id'))
        batch_op.drop_index(batch_op.f('ix_wage_warnings_division_code'))

    op.drop_table('wage_warnings')
    with op.batch_alter_table('wage_pay_sheets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wage_pay_sheets_project_id'))

    op.drop_table('wage_pay_sheets')
    with op.batch_alter_table('wage_firms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wage_firms_project_id'))

    op.drop_table('wage_firms')
    with op.batch_alter_table('wage_deposits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wage_deposits_project_id'))

    op.drop_table('wage_deposits')
    with op.batch_alter_table('wage_clues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wage_clues_project_id'))
        batch_op.drop_index(batch_op.f('ix_wage_clues_division_code'))

    op.drop_table('wage_clues')
    op.drop_table('wage_accounts')
    with op.batch_alter_table('wage_projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wage_projects_division_code'))
        batch_op.drop_index(batch_op.f('ix_wage_projects_contractor_credit_code'))

    op.drop_table('wage_projects')
