"""incidents: alerts of one destination and its parents that fire within a grouping window form
one incident (incidents); an alert keeps the incident it joined when it last opened
(alerts.incident_id), and a subscription's notification tells an incident, once and then as
updates (notifications.incident_id, notifications.is_update). Existing alerts belong to none.

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-03 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('destination_id', sa.String(length=64), nullable=False),
    sa.Column('destination_name', sa.String(length=200), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('demo', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents'))
    )
    op.create_index('ix_incidents_demo_opened', 'incidents', ['demo', 'opened_at'])
    op.create_index(op.f('ix_incidents_destination_id'), 'incidents', ['destination_id'])
    with op.batch_alter_table('alerts') as batch:
        batch.add_column(sa.Column('incident_id', sa.Integer(), nullable=True))
        batch.create_index(batch.f('ix_alerts_incident_id'), ['incident_id'])
        batch.create_foreign_key(batch.f('fk_alerts_incident_id_incidents'), 'incidents',
                                 ['incident_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('notifications') as batch:
        batch.add_column(sa.Column('incident_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('is_update', sa.Boolean(), server_default=sa.false(),
                                   nullable=False))
        batch.create_index(batch.f('ix_notifications_incident_id'), ['incident_id'])
        batch.create_foreign_key(batch.f('fk_notifications_incident_id_incidents'),
                                 'incidents', ['incident_id'], ['id'], ondelete='CASCADE')


def downgrade() -> None:
    with op.batch_alter_table('notifications') as batch:
        batch.drop_constraint('fk_notifications_incident_id_incidents', type_='foreignkey')
        batch.drop_index('ix_notifications_incident_id')
        batch.drop_column('is_update')
        batch.drop_column('incident_id')
    with op.batch_alter_table('alerts') as batch:
        batch.drop_constraint('fk_alerts_incident_id_incidents', type_='foreignkey')
        batch.drop_index('ix_alerts_incident_id')
        batch.drop_column('incident_id')
    op.drop_index(op.f('ix_incidents_destination_id'), table_name='incidents')
    op.drop_index('ix_incidents_demo_opened', table_name='incidents')
    op.drop_table('incidents')
