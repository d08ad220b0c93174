import shutil
import unittest

from odoo.tests import HttpCase, tagged

from .common import TeleumCase


@tagged("post_install", "-at_install")
class TestTourPbxDetails(TeleumCase, HttpCase):
    """In a real browser, a manager on the numbers, a number's forwards and the calls."""

    @unittest.skipUnless(shutil.which("chromium") or shutil.which("google-chrome") or shutil.which("chromium-browser"),
                         "no Chromium (dev/test installs Debian's chromium package)")
    def test_pbx_details_tour(self):
        self.account.action_sync()
        number = self.env["teleum.number"].search([("account_id", "=", self.account.id),
                                                   ("number", "=", "78123232323")])
        self.assertTrue(number.forward_ids, "the sandbox's number has forwards")
        before = [(f.type_id, f.target, f.timeout) for f in number.forward_ids]
        types = self.env["teleum.forward.type"].search_count([])
        self.start_tour("/odoo/action-teleum_telephony.teleum_number_action", "teleum_pbx_details_tour",
                        login="admin", timeout=120)
        self.assertEqual([(f.type_id, f.target, f.timeout) for f in number.forward_ids], before,
                         "the tour discarded its edit")
        self.assertEqual(self.env["teleum.forward.type"].search_count([]), types)
