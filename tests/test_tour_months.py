import shutil
import unittest

from odoo.tests import HttpCase, tagged

from .common import TeleumCase


@tagged("post_install", "-at_install")
class TestTourMonths(TeleumCase, HttpCase):
    """In a real browser: the account's Months tab, and Read again on one month."""

    @unittest.skipUnless(shutil.which("chromium") or shutil.which("google-chrome") or shutil.which("chromium-browser"),
                         "no Chromium (dev/test installs Debian's chromium package)")
    def test_months_tour(self):
        self.account.action_sync()
        before = len(self.calls())
        older = self.account.call_listing_ids.sorted("month")[0]
        self.start_tour(f"/odoo/action-teleum_telephony.teleum_account_action/{self.account.id}",
                        "teleum_months_tour", login="admin", timeout=120)
        self.assertEqual(older.state, "to_read")
        self.assertEqual(self.account.sync_requested_by, self.env.ref("base.user_admin"))
        for _run in range(10):  # what the cron worker does when the trigger is due
            self.env["teleum.account"]._cron_sync_requested()
            if not self.account.sync_requested_at:
                break
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        self.assertEqual(older.state, "open", "read again")
        self.assertEqual(len(self.calls()), before, "every call once")
