"""hall materials taken from the electronic certificate library

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 10:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('hall_materials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=16), server_default='upload', nullable=False))
        batch_op.add_column(sa.Column('certificate_identifier', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('certificate', sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f('ix_hall_materials_certificate_identifier'), ['certificate_identifier'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('hall_materials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hall_materials_certificate_identifier'))
        batch_op.drop_column('certificate')
        batch_op.drop_column('certificate_identifier')
        batch_op.drop_column('source')
