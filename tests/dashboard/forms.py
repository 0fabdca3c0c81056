"""Posting the dashboard's forms as a browser on the page does: with its token and its Origin."""

from __future__ import annotations

import re

import httpx2
from fastapi.testclient import TestClient

ORIGIN = "http://testserver"  # TestClient's own origin
_TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')


def token_on(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def submit(client: TestClient, page: str, action: str, **fields: str) -> httpx2.Response:
    """Opens `page`, then posts its form to `action` with the page's token, from this origin."""
    token = token_on(client.get(page).text)
    return client.post(action, data={**fields, "csrf_token": token}, headers={"Origin": ORIGIN})


def sign_in(client: TestClient, key: str, next: str = "/") -> httpx2.Response:
    return submit(client, "/signin", "/signin", key=key, next=next)
