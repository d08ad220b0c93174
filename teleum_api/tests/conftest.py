"""Fixtures for the teleum_api tests (the fake endpoint itself is in fake_teleum.py).

The repository root is an Odoo addon whose ``__init__.py`` imports odoo, so it is never imported
as a package: the root goes on sys.path and ``teleum_api`` is imported directly.  pytest (8.x)
would still import that ``__init__.py`` (as ``<dirname>``, and ``teleum_api`` as
``<dirname>.teleum_api``) when it sets up the Package nodes of those directories, only to look for
setup_module; :func:`pytest_collection_modifyitems` turns those setups into no-ops.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import responses

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fake_teleum import BASE, EMAIL, PASSWORD, FakeTeleum  # noqa: E402

from teleum_api import TeleumClient  # noqa: E402


def pytest_collection_modifyitems(session, config, items):
    for item in items:
        for node in item.listchain():
            if isinstance(node, pytest.Package) and (node.path == ROOT or ROOT in node.path.parents):
                node.setup = lambda: None  # type: ignore[method-assign]


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def api(rsps) -> FakeTeleum:
    return FakeTeleum(rsps)


@pytest.fixture
def client() -> TeleumClient:
    sleeps: list[float] = []
    c = TeleumClient(EMAIL, PASSWORD, base_url=BASE, retries=2, backoff=0.01)
    c._sleep = sleeps.append  # record the backoff instead of waiting
    c.sleeps = sleeps  # type: ignore[attr-defined]
    yield c
    c.close()
