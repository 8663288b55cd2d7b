"""sharing: successful calls per consumer per day, for the daily quota

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 14:00:00
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    counts = op.create_table(
        'share_call_counts',
        sa.Column('consumer', sa.String(length=40), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('calls', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('consumer', 'day', name=op.f('pk_share_call_counts')),
    )
    # Today's figures (Beijing time) from the log, so a quota holds across the upgrade.
    log = sa.table('share_call_log', sa.column('consumer', sa.String), sa.column('success', sa.Boolean),
                   sa.column('requested_at', sa.DateTime(timezone=True)))
    midnight = datetime.now(ZoneInfo('Asia/Shanghai')).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = op.get_bind().execute(
        sa.select(log.c.consumer, sa.func.count()).where(
            log.c.success.is_(True), log.c.requested_at >= midnight.astimezone(ZoneInfo('UTC')),
            log.c.requested_at < (midnight + timedelta(days=1)).astimezone(ZoneInfo('UTC')))
        .group_by(log.c.consumer)).all()
    if rows:
        op.bulk_insert(counts, [{'consumer': consumer, 'day': midnight.date(), 'calls': int(calls)}
                                for consumer, calls in rows])


def downgrade() -> None:
    op.drop_table('share_call_counts')
