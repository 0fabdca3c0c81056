"""figure review: each figure's confidence, review state and correction (kept apart from what
was read), the history of its reviews (figure_reviews), the alerts' `retracted` state and the
history of every alert change (alert_events). Existing figures count as read (`auto`).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = "review_state IN ('auto','pending','confirmed','rejected','corrected')"
OLD_STATUSES = "status IN ('firing','acknowledged','resolved')"
NEW_STATUSES = "status IN ('firing','acknowledged','resolved','retracted')"


def upgrade() -> None:
    with op.batch_alter_table('figures') as batch:
        batch.add_column(sa.Column('confidence', sa.Double(), nullable=True))
        batch.add_column(sa.Column('review_state', sa.String(length=16), server_default='auto',
                                   nullable=False))
        batch.add_column(sa.Column('corrected_count', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('corrected_unit', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('corrected_qualifier', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('corrected_kind', sa.String(length=8), nullable=True))
        batch.add_column(sa.Column('corrected_people', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('corrected_destination_id', sa.String(length=64),
                                   nullable=True))
        batch.add_column(sa.Column('corrected_destination_name', sa.String(length=200),
                                   nullable=True))
        batch.add_column(sa.Column('corrected_destination_country', sa.String(length=2),
                                   nullable=True))
        batch.add_column(sa.Column('corrected_destination_level', sa.String(length=16),
                                   nullable=True))
        batch.add_column(sa.Column('corrected_as_of', sa.Date(), nullable=True))
        batch.add_column(sa.Column('corrected_observed_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_check_constraint('review_state', STATES)
        batch.create_index('ix_figures_corrected_destination_observed',
                           ['corrected_destination_id', 'corrected_observed_on'])
        batch.create_index('ix_figures_review_state_id', ['review_state', 'id'])
    op.create_table('figure_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('figure_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('by', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("action IN ('confirm','reject','correct') OR action = 'policy'",
                       name=op.f('ck_figure_reviews_action')),
    sa.ForeignKeyConstraint(['figure_id'], ['figures.id'],
                            name=op.f('fk_figure_reviews_figure_id_figures'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_figure_reviews'))
    )
    op.create_index(op.f('ix_figure_reviews_figure_id'), 'figure_reviews', ['figure_id'])
    with op.batch_alter_table('alerts') as batch:
        batch.drop_constraint(op.f('ck_alerts_status'), type_='check')
        batch.create_check_constraint('status', NEW_STATUSES)
    op.create_table('alert_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('by', sa.String(length=200), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('previous', sa.JSON(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("type IN ('firing','escalated','updated','acknowledged','resolved',"
                       "'retracted')", name=op.f('ck_alert_events_type')),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'],
                            name=op.f('fk_alert_events_alert_id_alerts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_events'))
    )
    op.create_index(op.f('ix_alert_events_alert_id'), 'alert_events', ['alert_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_alert_events_alert_id'), table_name='alert_events')
    op.drop_table('alert_events')
    # a retracted alert was never true: it goes down as resolved, saying so
    op.execute("UPDATE alerts SET status = 'resolved', resolution = 'retracted' "
               "WHERE status = 'retracted'")
    with op.batch_alter_table('alerts') as batch:
        batch.drop_constraint(op.f('ck_alerts_status'), type_='check')
        batch.create_check_constraint('status', OLD_STATUSES)
    op.drop_index(op.f('ix_figure_reviews_figure_id'), table_name='figure_reviews')
    op.drop_table('figure_reviews')
    with op.batch_alter_table('figures') as batch:
        batch.drop_index('ix_figures_review_state_id')
        batch.drop_index('ix_figures_corrected_destination_observed')
        batch.drop_constraint(op.f('ck_figures_review_state'), type_='check')
        for column in ('reviewed_at', 'corrected_observed_on', 'corrected_as_of',
                       'corrected_destination_level', 'corrected_destination_country',
                       'corrected_destination_name', 'corrected_destination_id',
                       'corrected_people', 'corrected_kind', 'corrected_qualifier',
                       'corrected_unit', 'corrected_count', 'review_state', 'confidence'):
            batch.drop_column(column)
