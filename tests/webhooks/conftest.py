"""Webhook tests deliver to receivers on 127.0.0.1, so the outbound gate must let it through."""

from __future__ import annotations

import pytest

from app.settings import Settings
from tests.webhooks.helpers import hook_settings


@pytest.fixture
def settings(db_url: str) -> Settings:
    return hook_settings(db_url)
