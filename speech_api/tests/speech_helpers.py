"""Shared set-up of the speech_api tests (a plain module, imported by a name no other suite uses).

The repository root is an Odoo addon whose ``__init__.py`` imports odoo: the root goes on sys.path
so that ``speech_api`` and ``sandbox`` are imported directly, and pytest's Package nodes of the
repository's folders skip their setup (which would import those ``__init__.py`` files only to look
for setup_module).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _package_setup(setup=pytest.Package.setup):
    def patched(self):
        if self.path != ROOT and ROOT not in self.path.parents:
            setup(self)

    return patched


pytest.Package.setup = _package_setup()

BASE = 'https://speech.test/v1'
KEY = 'sk-proj-Zq8sTtW3xYvB0aLm9KpR2cDf'
