"""gdelt: sources.state, what a source carries from one fetch to the next beyond its HTTP
validators (a GDELT query's last window end and the articles it just read).

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-03 19:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('sources') as batch:
        batch.add_column(sa.Column('state', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sources') as batch:
        batch.drop_column('state')
