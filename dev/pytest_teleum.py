"""pytest plugin for dev/test: quiet Odoo's "importing test framework outside test mode" error.

Odoo logs an error when `odoo.tests` is imported with test mode off, and with test mode on it
would run every module's at_install tests while loading the registry. So dev/test passes
--test-enable (pytest-odoo imports `odoo.tests` while it reads it), this plugin turns test mode
off before the registry is loaded, and on again only while pytest imports the test modules.
"""

import pytest


def pytest_configure(config):
    from odoo.tools import config as odoo_config

    odoo_config["test_enable"] = False


@pytest.hookimpl(hookwrapper=True)
def pytest_collection(session):
    from odoo.tools import config

    config["test_enable"] = True
    try:
        yield
    finally:
        config["test_enable"] = False
