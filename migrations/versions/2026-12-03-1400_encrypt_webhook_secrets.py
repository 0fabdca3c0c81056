"""encrypt webhook secrets: webhook_endpoints.secret (in clear) becomes secret_encrypted (Fernet,
keyed by DISPMON_SECRET_KEY, see app/crypto.py). Existing secrets are encrypted on the way up
and decrypted on the way down, so no subscriber has to be given a new one.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 14:00:00.000000
"""

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa
from alembic import op

if TYPE_CHECKING:
    from app.crypto import SecretBox

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_endpoints = sa.table('webhook_endpoints', sa.column('id', sa.Integer()),
                      sa.column('secret', sa.String()), sa.column('secret_encrypted', sa.Text()))


def _copy(source: str, target: str, convert: Callable[[str], str]) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(_endpoints.c.id, _endpoints.c[source])).all()
    for endpoint_id, value in rows:
        conn.execute(_endpoints.update().where(_endpoints.c.id == endpoint_id)
                     .values({target: convert(value)}))


def _box() -> 'SecretBox':
    # the key (DISPMON_SECRET_KEY, as the service reads it) is needed only when there are rows
    from app.crypto import secret_box
    from app.settings import Settings

    return secret_box(Settings())


def _has_rows() -> bool:
    return op.get_bind().execute(sa.select(_endpoints.c.id).limit(1)).first() is not None


def upgrade() -> None:
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('secret_encrypted', sa.Text(), nullable=True))
    if _has_rows():
        _copy('secret', 'secret_encrypted', _box().encrypt)
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.alter_column('secret_encrypted', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('secret')


def downgrade() -> None:
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('secret', sa.String(length=200), nullable=True))
    if _has_rows():
        _copy('secret_encrypted', 'secret', _box().decrypt)
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.alter_column('secret', existing_type=sa.String(length=200), nullable=False)
        batch_op.drop_column('secret_encrypted')
