"""Cursor pagination shared by every list endpoint: opaque cursors, newest first by id."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from app.errors import InvalidInput
from app.limits import INT_MAX

MAX_CURSOR = 200
T = TypeVar("T")
R = TypeVar("R")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Any:
    if not cursor:
        return None
    if len(cursor) > MAX_CURSOR:
        raise InvalidInput("the cursor is not one this service gave out")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("the cursor is not one this service gave out") from exc


def decode_int_cursor(cursor: str | None) -> int | None:
    value = decode_cursor(cursor)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                              or not 0 <= value <= INT_MAX):
        raise InvalidInput("the cursor is not one this service gave out")
    return value


def page_of(rows: Sequence[R], size: int, shape: Callable[[R], T],
            row_id: Callable[[R], int]) -> Page[T]:
    """A page from `size + 1` rows fetched newest first: the extra row only says there is more."""
    kept = rows[:size]
    more = len(rows) > size and bool(kept)
    return Page(items=[shape(r) for r in kept],
                next_cursor=encode_cursor(row_id(kept[-1])) if more else None)
