import shutil
import unittest

from odoo.tests import HttpCase, tagged

from .common import TeleumCase


@tagged("post_install", "-at_install")
class TestTourSyncNow(TeleumCase, HttpCase):
    """In a real browser: Settings › Test connection and Sync now with unsaved changes, then the
    scheduled action runs the sync and the administrator sees its result."""

    @unittest.skipUnless(shutil.which("chromium") or shutil.which("google-chrome") or shutil.which("chromium-browser"),
                         "no Chromium (dev/test installs Debian's chromium package)")
    def test_sync_now_tour(self):
        self.account.write({"state": "error", "last_error": "Old failure"})
        cron = self.env.ref("teleum_telephony.ir_cron_teleum_sync_requested")
        self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]).unlink()
        self.start_tour("/odoo/action-teleum_telephony.teleum_settings_action", "teleum_sync_now_tour",
                        login="admin", timeout=120)
        self.assertEqual(self.account.low_balance_threshold, 7, "what was typed is saved")
        self.assertEqual(self.account.state, "ok")
        self.assertEqual(self.account.sync_requested_by, self.env.ref("base.user_admin"))
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]), "the cron is triggered")
        self.assertFalse(self.calls(), "nothing imported in the request")
        # what the cron worker does when the trigger is due
        for _run in range(10):
            self.env["teleum.account"]._cron_sync_requested()
            if not self.account.sync_requested_at:
                break
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        self.assertEqual(self.account.last_sync_new_calls, len(self.calls()))
        self.assertTrue(self.calls())
        # The commit a test never does: its first step writes the bus notifications, which the
        # browser fetches when it connects if they are recent (their date is the transaction's,
        # as old as the test here, seconds in production).
        self.env.cr.precommit.run()
        self.env.cr.execute("UPDATE bus_bus SET create_date = now() AT TIME ZONE 'UTC' + "
                            "(clock_timestamp() - now()) WHERE message LIKE '%simple_notification%'")
        self.start_tour("/odoo/action-teleum_telephony.teleum_settings_action", "teleum_sync_done_tour",
                        login="admin", timeout=120)
