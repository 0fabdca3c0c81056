"""demo apart: series_points.demo and alerts.demo keep the demo's series and alerts beside the
real ones, never in them (a destination has one series per realm: unique on destination, day and
demo); webhook_endpoints.include_demo lets an endpoint opt in to the demo's alerts. Existing
points and alerts are taken for real: an install that ran the demo runs `dispmon demo reset`
once (it takes the demo's alerts away and recomputes the real series its figures were mixed
into), and a restart with DISPMON_DEMO loads the demo again, apart.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-03 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('series_points') as batch:
        batch.add_column(sa.Column('demo', sa.Boolean(), server_default=sa.false(),
                                   nullable=False))
        batch.drop_constraint('uq_series_points_destination_id_day', type_='unique')
        batch.create_unique_constraint('uq_series_points_destination_id_day_demo',
                                       ['destination_id', 'day', 'demo'])
    with op.batch_alter_table('alerts') as batch:
        batch.add_column(sa.Column('demo', sa.Boolean(), server_default=sa.false(),
                                   nullable=False))
    with op.batch_alter_table('webhook_endpoints') as batch:
        batch.add_column(sa.Column('include_demo', sa.Boolean(), server_default=sa.false(),
                                   nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('webhook_endpoints') as batch:
        batch.drop_column('include_demo')
    # the demo's points and alerts have no place in a schema without the flag
    op.execute("DELETE FROM alerts WHERE demo")
    op.execute("DELETE FROM series_points WHERE demo")
    with op.batch_alter_table('alerts') as batch:
        batch.drop_column('demo')
    with op.batch_alter_table('series_points') as batch:
        batch.drop_constraint('uq_series_points_destination_id_day_demo', type_='unique')
        batch.create_unique_constraint('uq_series_points_destination_id_day',
                                       ['destination_id', 'day'])
        batch.drop_column('demo')
