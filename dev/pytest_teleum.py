"""pytest plugin for dev/test: quiet Odoo's "importing test framework outside test mode" error.

Odoo logs an error when `odoo.tests` is imported with test mode off, and with test mode on it
would run every module's at_install tests while loading the registry. So test mode is on only
while pytest imports the test modules (collection), and off when pytest-odoo loads the registry.
"""

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_collection(session):
    from odoo.tools import config

    config["test_enable"] = True
    try:
        yield
    finally:
        config["test_enable"] = False
