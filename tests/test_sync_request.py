"""Sync now hands the sync to a scheduled action; what was typed is never lost; the sync lock
is free after every kind of failure."""

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import closing, contextmanager
from unittest.mock import patch

import psycopg2.errors

from odoo import sql_db
from odoo.tests import new_test_user, tagged

from ..models import teleum_account
from ..models.teleum_call import TeleumCall
from ..teleum_api import TeleumClient
from .common import DEMO_LOGIN, DEMO_PASSWORD, SECOND_LOGIN, SECOND_PASSWORD
from .test_faults import FaultCase

WRONG = "Wr0ng-" + DEMO_PASSWORD


class RequestCase(FaultCase):

    def setUp(self):
        super().setUp()
        self.cron = self.env.ref("teleum_telephony.ir_cron_teleum_sync_requested")
        self.manager = new_test_user(self.env, "teleum_request_manager", groups="teleum_telephony.group_teleum_manager")

    def lock_is_free(self, account=None):
        """Whether another connection (another worker) can take the account's sync lock now."""
        cr = self.env.registry.cursor()
        try:
            cr.execute(teleum_account.LOCK_SQL,
                       (teleum_account._LOCK_NAMESPACE, (account or self.account).id))
            return cr.fetchone()[0]
        finally:
            cr.close()

    @contextmanager
    def lock_held_elsewhere(self, account=None):
        cr = self.env.registry.cursor()
        try:
            cr.execute(teleum_account.LOCK_SQL,
                       (teleum_account._LOCK_NAMESPACE, (account or self.account).id))
            self.assertTrue(cr.fetchone()[0])
            yield
        finally:
            cr.close()

    def run_requested(self, limit=30):
        """Run the scheduled action as the cron worker would, until no request is left."""
        for _run in range(limit):
            self.env["teleum.account"]._cron_sync_requested()
            if not self.env["teleum.account"].search_count([("sync_requested_at", "!=", False)]):
                return
        self.fail("the requested sync never ended")

    def notifications(self, user):
        """simple_notification payloads sent on the bus to ``user``."""
        found = []
        # bus.bus rows are created when the transaction commits, which a test never does
        for values in self.env.cr.precommit.data.get("bus.bus.values", []):
            channel, message = json.loads(values["channel"]), json.loads(values["message"])
            if message.get("type") == "simple_notification" and channel[1:] == ["res.partner", user.partner_id.id]:
                found.append(message["payload"])
        return found

    def settings(self, **typed):
        return self.env["res.config.settings"].create(typed)


@tagged("post_install", "-at_install")
class TestSyncRequest(RequestCase):

    def test_sync_now_returns_at_once_and_the_cron_imports(self):
        result = self.account.with_user(self.manager).action_sync_button()
        self.assertEqual(result["params"]["title"], "Sync started")
        self.assertEqual(result["params"]["next"], {"type": "ir.actions.act_window_close"},
                         "the form reloads: the request is shown")
        self.assertFalse(self.calls(), "nothing imported in the request")
        self.assertEqual(self.sandbox.stats()["total"], 0, "not a single request to Teleum")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)]), "the cron is triggered")
        self.assertEqual(self.account.sync_requested_by, self.manager)
        self.assertEqual(self.account.sync_progress, "Sync requested: it starts in a moment.")

        seen = []
        original = TeleumCall._import_rows

        def import_rows(model, account, *args, **kwargs):
            seen.append((account.sync_running, account.sync_progress, self.lock_is_free()))
            return original(model, account, *args, **kwargs)

        with self.small_pages(20), patch.object(teleum_account, "REQUEST_BUDGET", 2), \
                patch.object(TeleumCall, "_import_rows", import_rows):
            self.env["teleum.account"]._cron_sync_requested()
            self.assertTrue(self.account.sync_requested_at, "one batch of 2 pages: the request goes on")
            self.assertEqual(self.account.sync_progress_pages, 2)
            self.run_requested()
        total = self.api_call_total()
        self.assertEqual(len(self.calls()), total)
        self.assertEqual(self.account.last_sync_new_calls, total)
        self.assertFalse(self.account.sync_progress, "nothing shown once it ended")
        self.assertFalse(self.account.sync_requested_by)
        # while it ran: the lock was held, and the progress said where it was
        self.assertTrue(seen and all(running and not free for running, _text, free in seen))
        self.assertTrue(seen[-1][1].startswith("Syncing: reading "), seen[-1][1])
        self.assertIn("pages read: %d" % (len(seen) - 1), seen[-1][1])
        self.assertEqual(self.notifications(self.manager), [
            {"type": "success", "title": "Teleum sync finished", "message": "New calls: %d." % total}])
        # a second Sync now: nothing new
        self.account.action_sync_button()
        self.run_requested()
        self.assertEqual(self.account.last_sync_new_calls, 0)
        self.assertEqual(self.notifications(self.env.user)[-1]["message"], "New calls: 0.")

    def test_sync_now_from_settings_saves_what_was_typed(self):
        result = self.settings(teleum_history_months=1, teleum_low_balance_threshold=42.0).action_teleum_sync()
        self.assertEqual(result["params"]["type"], "info")
        self.assertEqual((self.account.history_months, self.account.low_balance_threshold), (1, 42.0))
        self.assertFalse(self.calls())
        self.run_requested()
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        self.assertEqual(len(self.calls()), self.api_call_total())

    def test_wrong_password_typed_in_settings_then_sync_now(self):
        """The typed password is kept, the account shows Teleum's refusal of *it*, the scheduled
        syncs leave it alone, and once the right one is typed the next run syncs."""
        with self.units():
            self.settings(teleum_password=WRONG).action_teleum_sync()
            self.account._commit()  # the end of the request: its transaction commits
            self.run_requested()  # the login fails: the cron's transaction is rolled back
            self.assertEqual(self.account.sudo().password, WRONG, "what was typed is stored")
            self.assertEqual(self.account.state, "error")
            self.assertTrue(self.account.needs_human)
            self.assertIn("refused the e-mail or password", self.account.last_error)
            settings = self.settings()
            self.assertEqual((settings.teleum_password, settings.teleum_state), (WRONG, "error"),
                             "Settings show the stored password and its refusal")
            self.assertEqual(self.notifications(self.env.user)[-1]["title"], "Teleum sync failed")
            self.assertIn("refused the e-mail or password", self.notifications(self.env.user)[-1]["message"])
            self.sandbox.reset_stats()
            self.env["teleum.account"]._cron_sync_config()
            self.env["teleum.account"]._cron_sync_calls()
            self.assertEqual(self.sandbox.stats()["total"], 0, "the scheduled syncs skip a refused account")
            self.assertFalse(self.calls())
            # the right password typed again and saved: the next run syncs
            settings = self.settings(teleum_password=DEMO_PASSWORD)
            settings.execute()
            self.assertFalse(self.account.needs_human)
            self.sync_until_done(budget=None)
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        self.assertComplete()

    def test_direct_sync_keeps_the_password_it_was_refused(self):
        """A script's write then action_sync(): the refusal is about the password stored."""
        with self.units():
            self.account.password = WRONG
            self.account.action_sync()
            self.assertEqual(self.account.sudo().password, WRONG)
            self.assertTrue(self.account.needs_human)

    def test_refusal_of_replaced_credentials_does_not_wait_for_a_human(self):
        """Teleum refuses the password a run started with while an administrator saves the right
        one: the account does not claim the stored password was refused, and the next run syncs."""
        self.account.password = WRONG
        original = TeleumClient.login

        def login(client):
            if client.email == DEMO_LOGIN and self.account.sudo().password == WRONG:
                self.account.password = DEMO_PASSWORD  # saved by someone else meanwhile
            return original(client)

        with patch.object(TeleumClient, "login", login):
            self.account.action_sync()
        self.assertEqual(self.account.state, "error")
        self.assertFalse(self.account.needs_human)
        self.assertIn("changed while a sync was using the previous ones", self.account.last_error)
        self.env["teleum.account"]._cron_sync_calls()
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        self.assertTrue(self.calls())

    def test_test_connection_from_settings(self):
        self.account.write({"state": "error", "last_error": "Old failure"})
        result = self.settings(teleum_password=WRONG).action_teleum_test_connection()
        self.assertEqual(result["params"]["type"], "danger")
        self.assertEqual(result["params"]["next"], {"type": "ir.actions.act_window_close"})
        self.assertEqual(self.account.sudo().password, WRONG, "the typed password stays")
        self.assertTrue(self.account.needs_human)
        result = self.settings(teleum_password=DEMO_PASSWORD).action_teleum_test_connection()
        self.assertEqual(result["params"]["type"], "success")
        settings = self.settings()
        self.assertEqual((settings.teleum_state, settings.teleum_last_error), ("ok", False),
                         "the Account block shows the new state")
        self.assertFalse(self.account.needs_human)
        self.assertEqual(self.sandbox.stats()["requests"], {"login": 2}, "one login per test, nothing synced")


@tagged("post_install", "-at_install")
class TestSyncLock(RequestCase):
    """No error path leaves an account locked: each is followed by another connection taking
    the lock, as another worker would."""

    def test_lock_free_after_teleum_failure(self):
        self.sandbox.inject("error500", "reportCalls", count=20)
        self.account._sync_all(parts=("calls",))
        self.assertEqual(self.account.state, "error")
        self.assertTrue(self.lock_is_free())

    def test_lock_free_after_python_error(self):
        with patch.object(TeleumCall, "_import_rows", side_effect=RuntimeError("simulated bug")):
            self.account._sync_all(parts=("calls",))
        self.assertIn("simulated bug", self.account.last_error)
        self.assertTrue(self.lock_is_free())

    def test_lock_free_after_serialization_failure(self):
        """A real serialization failure aborts the run's transaction: the lock goes with the run."""
        def import_rows(model, account, *args, **kwargs):
            model.env.cr.execute("DO $$ BEGIN RAISE EXCEPTION 'concurrent update' "
                                 "USING ERRCODE = 'serialization_failure'; END $$")

        with patch.object(TeleumCall, "_import_rows", import_rows), \
                self.assertRaises(psycopg2.errors.SerializationFailure), self.env.cr.savepoint():
            self.account._sync_all(parts=("calls",))
        self.env.invalidate_all(flush=False)
        self.assertTrue(self.lock_is_free())

    def test_requested_sync_retried_after_serialization_failure(self):
        self.account.action_sync_button()
        failures = iter([True])

        def import_rows(model, account, *args, **kwargs):
            if next(failures, False):
                model.env.cr.execute("DO $$ BEGIN RAISE EXCEPTION 'concurrent update' "
                                     "USING ERRCODE = 'serialization_failure'; END $$")
            return original(model, account, *args, **kwargs)

        original = TeleumCall._import_rows
        with self.units(), patch.object(TeleumCall, "_import_rows", import_rows):
            self.env["ir.cron.trigger"].search([]).unlink()
            self.env["teleum.account"]._cron_sync_requested()
            self.assertTrue(self.lock_is_free())
            self.assertTrue(self.account.sync_requested_at, "the request is still there")
            self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)]),
                            "and the cron comes back for it")
            self.run_requested()
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        self.assertComplete()

    def test_lock_free_after_killed_worker(self):
        """A worker killed while it syncs: its connection closes, and the lock with it."""
        _db, params = sql_db.connection_info_for(self.env.cr.dbname)
        holder = subprocess.Popen(  # a process taking the lock the way _sync_lock does, then killed
            [sys.executable, "-c", "import json, sys, time, psycopg2\n"
             "cr = psycopg2.connect(**json.loads(sys.argv[1])).cursor()\n"
             "cr.execute(sys.argv[2], (int(sys.argv[3]), int(sys.argv[4])))\n"
             "print(cr.fetchone()[0], flush=True)\n"
             "time.sleep(300)\n",
             json.dumps(params), teleum_account.LOCK_SQL, str(teleum_account._LOCK_NAMESPACE),
             str(self.account.id)],
            stdout=subprocess.PIPE, text=True)
        self.addCleanup(holder.wait)
        self.addCleanup(lambda: holder.poll() is None and holder.kill())
        with closing(holder.stdout):
            self.assertEqual(holder.stdout.readline().strip(), "True")
        self.assertIsNone(self.account._sync_all(), "another worker syncs it: skipped")
        self.assertTrue(self.account.sync_running, "shown as running")
        self.assertFalse(self.calls())
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        deadline = time.monotonic() + 10
        while not self.lock_is_free():  # the server notices the closed connection at once or nearly
            self.assertLess(time.monotonic(), deadline, "the lock outlived the killed worker")
            time.sleep(0.1)
        self.account._sync_all()
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        self.assertTrue(self.calls())

    def test_other_accounts_sync_while_one_is_locked(self):
        company2 = self.env["res.company"].create({"name": "Parallel Co", "country_id": self.env.ref("base.ru").id})
        other = self.env["teleum.account"].create({
            "name": "Other", "company_id": company2.id, "api_url": self.sandbox.url,
            "login": SECOND_LOGIN, "password": SECOND_PASSWORD, "history_months": 1})
        with self.lock_held_elsewhere():
            self.env["teleum.account"]._cron_sync_calls()
            self.assertFalse(self.calls(), "the locked account is left alone")
            self.assertTrue(self.calls(other), "the other one syncs meanwhile")
            self.account.action_sync_button()
            self.env["ir.cron.trigger"].search([]).unlink()
            self.env["teleum.account"]._cron_sync_requested()
            self.assertTrue(self.account.sync_requested_at, "a requested sync waits for the lock")
            self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)]))
        self.run_requested()
        self.assertTrue(self.calls())
