"""registry: a covering index for identity lookups (blind index, status, name)

The batch verification and the gateway read only these three columns of a person by the ID number's blind
index; with them in one index the lookup never touches the table row (SQLite: a covering index; PostgreSQL:
an index-only scan).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 15:40:00
"""
from __future__ import annotations

from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.create_index('ix_persons_identity', ['id_number_index', 'status', 'name'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_index('ix_persons_identity')
