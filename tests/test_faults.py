"""Faults on the way to Teleum and inside Odoo: every call ends up imported exactly once.

The sandbox injects real faults over HTTP (5xx with nginx HTML pages, truncated JSON, dropped
connections, answers held back past the client's timeout, SESSION ENDED); a crash of the
process between two committed pages is emulated with savepoints (see ``units``).
"""

import itertools
import random
from contextlib import contextmanager
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from ..models.teleum_call import TeleumCall
from ..teleum_api import TeleumClient
from .common import DEMO_LOGIN, DEMO_PASSWORD, FAST_CLIENT, SECOND_LOGIN, SECOND_PASSWORD, TeleumCase

FAST = FAST_CLIENT


class FaultCase(TeleumCase):
    sandbox_options = {"seed": 11, "months": 2, "calls_per_month": 60}

    def setUp(self):
        super().setUp()
        self.use_fast_client()

    # -- helpers ----------------------------------------------------------------
    @contextmanager
    def faults_at_pages(self, kind, pages, count):
        """Queue ``count`` faults of ``kind`` just before the n-th reportCalls request, n in ``pages``
        (n counts the client's calls, so a retried page counts once)."""
        original = TeleumClient.report_calls
        seen = itertools.count(1)

        def report_calls(client, *args, **kwargs):
            if next(seen) in pages:
                self.sandbox.inject(kind, "reportCalls", count=count)
            return original(client, *args, **kwargs)

        with patch.object(TeleumClient, "report_calls", report_calls):
            yield

    def assertComplete(self, account=None, login=DEMO_LOGIN, password=None):
        """Every call Teleum reports is in Odoo exactly once."""
        account = account or self.account
        calls = self.calls(account)
        kwargs = {"login": login} if password is None else {"login": login, "password": password}
        self.assertEqual(len(calls), self.api_call_total(**kwargs))
        keys = [(c.account_id.id, c.fingerprint, c.occurrence) for c in calls]
        self.assertEqual(len(keys), len(set(keys)), "no duplicate (account, fingerprint, occurrence)")
        per_fp = {}
        for c in calls:
            per_fp.setdefault(c.fingerprint, []).append(c.occurrence)
        for occ in per_fp.values():
            self.assertEqual(sorted(occ), list(range(1, len(occ) + 1)), "occurrences have no gap")
        self.assertFalse(account.calls_pass_month, "the pass is finished")

    def sync_until_done(self, budget=None, limit=50):
        runs = 0
        while True:
            runs += 1
            self.assertLess(runs, limit)
            pending = self.account._sync_all(budget=budget, parts=("calls",))
            if not pending and self.account.state == "ok":
                return runs

    @contextmanager
    def units(self):
        """Emulate production's units of work inside one test transaction: ``_commit()`` marks a
        savepoint, and ``crash()`` throws away everything since the last one (memory included),
        as a process killed between two commits would."""
        cr = self.env.cr
        Account = type(self.env["teleum.account"])
        cr.execute("SAVEPOINT teleum_unit")

        def commit(account):
            account.env.flush_all()
            cr.execute("RELEASE SAVEPOINT teleum_unit")
            cr.execute("SAVEPOINT teleum_unit")

        def crash():
            self.env.invalidate_all(flush=False)
            self.env.transaction.clear()
            cr.execute("ROLLBACK TO SAVEPOINT teleum_unit")

        def rollback(account):
            crash()

        with patch.object(Account, "_commit", commit), patch.object(Account, "_rollback", rollback):
            yield crash
        cr.execute("RELEASE SAVEPOINT teleum_unit")

    def sync_killed_after_pages(self, k, crash, **sync_kwargs):
        """Run the calls sync and kill the process when page ``k + 1`` starts being imported (the
        first ``k`` pages are committed), then throw away what a killed process loses (``crash``
        from :meth:`units`). Not ``assertRaises``: its savepoint would sit inside the emulated unit."""
        original = TeleumCall._import_rows
        pages = itertools.count(1)

        def import_rows(model, *args, **kwargs):
            if next(pages) == k + 1:
                raise KeyboardInterrupt("process killed")  # not an Exception: nothing catches it
            return original(model, *args, **kwargs)

        with patch.object(TeleumCall, "_import_rows", import_rows):
            try:
                self.account._sync_all(parts=("calls",), **sync_kwargs)
            except KeyboardInterrupt:
                crash()
            else:
                self.fail("the import was not interrupted")


@tagged("post_install", "-at_install")
class TestFaults(FaultCase):

    def test_transient_faults_retried_at_random_pages(self):
        """One fault on a page: the read is retried and the run completes by itself."""
        rng = random.Random(20240607)
        with self.small_pages(9):
            self.account._sync_all(parts=("calls",))
            n_pages = self.sandbox.stats()["requests"]["reportCalls"]
            for kind in ("error500", "error502", "malformed", "drop"):
                with self.subTest(kind=kind):
                    self.env["teleum.call"].search([("account_id", "=", self.account.id)]).unlink()
                    self.forget_listings()
                    pages = set(rng.sample(range(1, n_pages + 1), 2))
                    self.sandbox.reset_stats()
                    with self.faults_at_pages(kind, pages, count=1):
                        self.account._sync_all(parts=("calls",))
                    sent = self.sandbox.stats()["requests"]["reportCalls"]
                    self.assertEqual(self.account.state, "ok", self.account.last_error)
                    self.assertEqual(sent, n_pages + len(pages), "each faulty page was read exactly twice")
                    self.assertComplete()

    def test_persistent_faults_reported_then_completed(self):
        """A fault that outlasts the retries stops the run: the account says why (no HTML, no URL),
        what was imported stays, and the next run completes the month."""
        rng = random.Random(7)
        with self.small_pages(8):
            self.account._sync_all(parts=("calls",))
            n_pages = self.sandbox.stats()["requests"]["reportCalls"]
            for kind, words in (("error500", "HTTP 500"), ("error502", "HTTP 502"),
                                ("malformed", "malformed JSON"), ("drop", "Cannot connect")):
                with self.subTest(kind=kind):
                    self.env["teleum.call"].search([("account_id", "=", self.account.id)]).unlink()
                    self.forget_listings()
                    self.account.sudo().write({"state": "ok", "last_error": False})
                    page = rng.randint(2, n_pages)
                    with self.faults_at_pages(kind, {page}, count=FAST["retries"] + 1):
                        self.account._sync_all(parts=("calls",))
                    self.assertEqual(self.account.state, "error")
                    self.assertFalse(self.account.needs_human, "a transient fault needs no human")
                    error = self.account.last_error
                    self.assertIn(words, error)
                    self.assertIn("next sync will try again", error)
                    for leak in ("<html", "nginx", "http://", "token", "989864", "paswd"):
                        self.assertNotIn(leak, error)
                    imported = len(self.calls())
                    self.assertGreater(imported, 0, "the pages before the fault are kept")
                    self.assertLess(imported, self.api_call_total())
                    self.assertTrue(self.account.calls_pass_month, "the cursor says where to resume")
                    self.sandbox.reset_stats()
                    self.account._sync_all(parts=("calls",))
                    self.assertLess(self.sandbox.stats()["requests"]["reportCalls"], n_pages,
                                    "the next run resumed from the cursor")
                    self.assertEqual(self.account.state, "ok", self.account.last_error)
                    self.assertFalse(self.account.last_error)
                    self.assertComplete()

    def test_random_faults_everywhere(self):
        """Seeded random 5xx / truncated JSON / drops on every read, cron-sized runs: no loss."""
        self.sandbox.set_faults(error_rate=0.2, malformed_rate=0.1, drop_rate=0.1, seed=3)
        errors = []
        with self.small_pages(7):
            for run in range(80):  # like the crons: calls every time, configuration now and then
                parts = ("config", "balance") if run % 5 == 0 else ("calls",)
                self.account._sync_all(budget=3, parts=parts)
                if self.account.state == "error":
                    errors.append(self.account.last_error)
                elif parts == ("calls",) and not self.account.calls_pass_month and self.calls():
                    break  # a whole pass finished
            self.assertLess(run, 79, "the faults did not prevent completing the pass")
            self.assertTrue(errors, "some faults outlasted the retries and were reported")
            self.sandbox.clear_faults()
            self.account._sync_all()
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        self.assertComplete()
        numbers = self.env["teleum.number"].search([("account_id", "=", self.account.id)])
        self.assertEqual(len(numbers), len(self.sandbox.state(DEMO_LOGIN)["numbers"]))

    def test_timeout_then_html_error(self):
        """An answer held back past the client's timeout is retried; when the retry gets a 502 page
        the run stops with a readable error, and the next run completes."""
        self.patch(self.sandbox, "timeout_sleep", FAST["timeout"] + 1.5)
        with self.small_pages(15):
            original = TeleumClient.report_calls
            seen = itertools.count(1)

            def report_calls(client, *args, **kwargs):
                if next(seen) == 3:
                    self.sandbox.inject("timeout", "reportCalls")
                    self.sandbox.inject("error502", "reportCalls")
                return original(client, *args, **kwargs)

            with patch.object(TeleumClient, "report_calls", report_calls):
                self.account._sync_all(parts=("calls",))
            self.assertEqual(self.account.state, "error")
            self.assertIn("HTTP 502", self.account.last_error)
            self.account._sync_all(parts=("calls",))
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        self.assertComplete()

    def test_faults_on_recordings_and_balance(self):
        """The other reads of a sync (recordings list, balance, config) fail and recover the same way."""
        for method in ("getRecordsList", "balance", "getForwards", "getSIPs"):
            with self.subTest(method=method):
                self.sandbox.inject("error500", method, count=FAST["retries"] + 1)
                self.account._sync_all()
                self.assertEqual(self.account.state, "error", method)
                self.assertIn("HTTP 500", self.account.last_error)
                self.account._sync_all()
                self.assertEqual(self.account.state, "ok", self.account.last_error)
        self.assertComplete()
        self.assertTrue(self.calls().filtered("recording_id"))

    # -- crashes between committed pages ------------------------------------------
    def test_crash_between_pages_resumes(self):
        """The process dies after page k was committed: the next run resumes, no duplicate, no gap."""
        for k in (1, 3, 6):
            with self.subTest(k=k), self.small_pages(10), self.units() as crash:
                self.env["teleum.call"].search([("account_id", "=", self.account.id)]).unlink()
                self.forget_listings()
                self.sync_killed_after_pages(k, crash)
                # k pages of 10 rows, each after the first with one row of overlap: all in month 1
                self.assertEqual(self.reading().offset, 10 + 9 * (k - 1), "page k was committed")
                self.assertEqual(len(self.calls()), self.reading().offset, "and nothing after it")
                self.account._sync_all(parts=("calls",))
                self.assertEqual(self.account.state, "ok", self.account.last_error)
                self.assertComplete()

    def test_crash_after_saved_cursor(self):
        """A cron run leaves the cursor mid-month; the next one crashes after one more page; the
        one after that finishes: every call once."""
        with self.small_pages(7), self.units() as crash:
            self.assertEqual(self.account._sync_all(budget=3, parts=("calls",)), 1)
            cursor = (self.account.calls_pass_month, self.reading().offset)
            self.assertEqual(cursor[1], 7 + 6 + 6)
            self.sync_killed_after_pages(1, crash, budget=3)
            self.assertEqual((self.account.calls_pass_month, self.reading().offset),
                             (cursor[0], cursor[1] + 6), "resumes after the last committed page")
            self.assertEqual(len(self.calls()), cursor[1] + 6)
            self.sync_until_done(budget=3)
        self.assertComplete()

    def test_exception_in_import_recorded_and_resumed(self):
        """A bug raising while a page is imported: the account shows it, the cron goes on with the
        other account, and the next run completes."""
        company2 = self.env["res.company"].create({"name": "Crash Co", "country_id": self.env.ref("base.ru").id})
        other = self.env["teleum.account"].create({
            "name": "Other", "company_id": company2.id, "api_url": self.sandbox.url,
            "login": SECOND_LOGIN, "password": SECOND_PASSWORD, "history_months": 1})
        original = TeleumCall._import_rows
        pages = itertools.count(1)

        def import_rows(model, account, *args, **kwargs):
            if account == self.account and next(pages) == 3:
                raise RuntimeError("simulated crash in page import")
            return original(model, account, *args, **kwargs)

        with self.small_pages(10), self.units() as _crash:
            with patch.object(TeleumCall, "_import_rows", import_rows):
                self.env["teleum.account"]._cron_sync_calls()
            self.assertEqual(self.account.state, "error")
            self.assertIn("simulated crash", self.account.last_error)
            self.assertFalse(self.account.needs_human)
            self.assertEqual(len(self.calls()), 10 + 9, "the two committed pages stay")
            self.assertEqual(self.reading().offset, 10 + 9)
            self.assertEqual(other.state, "ok", other.last_error)
            for _run in range(10):
                self.env["teleum.account"]._cron_sync_calls()
                if not self.account.calls_pass_month and not other.calls_pass_month:
                    break
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        self.assertComplete()
        self.assertComplete(other, login=SECOND_LOGIN, password=SECOND_PASSWORD)

    # -- sessions and credentials -------------------------------------------------
    def test_sessions_expire_while_paging(self):
        """The token really dies between two pages (several times): the client logs in again and
        the run completes, in both wire styles of SESSION ENDED."""
        for style in ("http401", "body"):
            with self.subTest(style=style):
                self.patch(self.sandbox, "session_error_style", style)
                self.env["teleum.call"].search([("account_id", "=", self.account.id)]).unlink()
                self.forget_listings()
                original = TeleumClient.report_calls
                seen = itertools.count(1)

                def report_calls(client, *args, _seen=seen, _original=original, **kwargs):
                    if next(_seen) in (2, 5, 6):
                        self.sandbox.expire_sessions()
                    return _original(client, *args, **kwargs)

                self.sandbox.reset_stats()
                with self.small_pages(10), patch.object(TeleumClient, "report_calls", report_calls):
                    self.account._sync_all(parts=("calls",))
                self.assertEqual(self.account.state, "ok", self.account.last_error)
                self.assertGreaterEqual(self.sandbox.stats()["requests"]["login"], 3)
                self.assertComplete()

    def test_session_ended_again_after_login(self):
        """SESSION ENDED right after a fresh login: a session error on the account (no human
        needed), and the next run completes."""
        with self.small_pages(10):
            original = TeleumClient.report_calls
            seen = itertools.count(1)

            def report_calls(client, *args, **kwargs):
                if next(seen) == 4:
                    self.sandbox.inject("session", "reportCalls", count=2)
                return original(client, *args, **kwargs)

            with patch.object(TeleumClient, "report_calls", report_calls):
                self.account._sync_all(parts=("calls",))
            self.assertEqual(self.account.state, "error")
            self.assertIn("session", self.account.last_error)
            self.assertFalse(self.account.needs_human)
            self.account._sync_all(parts=("calls",))
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        self.assertComplete()

    def run_cron_like_the_scheduler(self, xmlid):
        """What ir.cron's _process_job does with one job (minus its own cursor and commits): run the
        server action in batches, then update failure_count / active from the outcome."""
        cron = self.env.ref(xmlid)
        self.env.cr.execute("SELECT * FROM ir_cron WHERE id = %s", [cron.id])
        job = self.env.cr.dictfetchone()
        job["cron_name"] = cron.name
        runner = cron.with_user(cron.user_id)
        status = None
        for _batch in range(10):
            runner, progress = runner._add_progress()
            try:
                runner._callback(cron.name, cron.ir_actions_server_id.id)
            except Exception:
                status = "partially done" if progress.done and progress.remaining else "failed"
                break
            if not progress.remaining or not progress.done:
                status = "fully done"
                break
            status = "partially done"
        from odoo.addons.base.models.ir_cron import CompletionStatus
        cron._update_failure_count(job, {"fully done": CompletionStatus.FULLY_DONE,
                                         "partially done": CompletionStatus.PARTIALLY_DONE,
                                         "failed": CompletionStatus.FAILED}[status])
        cron.invalidate_recordset()
        return status

    def test_changed_password_needs_a_human_cron_stays_active(self):
        """The password is changed in Teleum's cabinet: the account says "wrong password", the other
        account keeps syncing, the crons are not counted as failing, nobody retries the refused
        password, and fixing it in Odoo resumes the sync."""
        company2 = self.env["res.company"].create({"name": "Second", "country_id": self.env.ref("base.ru").id})
        other = self.env["teleum.account"].create({
            "name": "Other", "company_id": company2.id, "api_url": self.sandbox.url,
            "login": SECOND_LOGIN, "password": SECOND_PASSWORD, "history_months": 1})
        self.account._sync_all()
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        new_password = "Changed-In-Cabinet-42"
        self.sandbox.set_password(DEMO_LOGIN, new_password)
        self.addCleanup(self.sandbox.set_password, DEMO_LOGIN, DEMO_PASSWORD)
        self.sandbox.expire_sessions()
        # one more failure would deactivate a cron that raised (5 failures over more than 7 days)
        crons = ("teleum_telephony.ir_cron_teleum_sync_calls", "teleum_telephony.ir_cron_teleum_sync_config")
        for xmlid in crons:
            self.env.ref(xmlid).write({"active": True, "failure_count": 4,
                                       "first_failure_date": fields.Datetime.now() - timedelta(days=8)})
        for xmlid in crons:
            with self.subTest(cron=xmlid):
                status = self.run_cron_like_the_scheduler(xmlid)
                cron = self.env.ref(xmlid)
                self.assertNotEqual(status, "failed")
                self.assertTrue(cron.active)
                self.assertEqual(cron.failure_count, 0)
        self.assertEqual(self.account.state, "error")
        self.assertTrue(self.account.needs_human)
        self.assertIn("password", self.account.last_error)
        self.assertNotIn(new_password, self.account.last_error)
        self.assertNotIn("989864", self.account.last_error)
        self.assertEqual(other.state, "ok", other.last_error)
        self.assertComplete(other, login=SECOND_LOGIN, password=SECOND_PASSWORD)
        # the refused password is not tried again every five minutes
        logins = []
        login = TeleumClient.login

        def spy_login(client, *args, **kwargs):
            logins.append(client.email)
            return login(client, *args, **kwargs)

        with patch.object(TeleumClient, "login", spy_login):
            for xmlid in crons:
                self.run_cron_like_the_scheduler(xmlid)
        self.assertIn(SECOND_LOGIN, logins, "the other account goes on")
        self.assertNotIn(DEMO_LOGIN, logins, "no login with the refused password")
        # an administrator enters the new password: the next scheduled run syncs again
        self.account.password = new_password
        self.assertFalse(self.account.needs_human)
        for _run in range(10):
            self.run_cron_like_the_scheduler("teleum_telephony.ir_cron_teleum_sync_calls")
            if not self.account.calls_pass_month:
                break
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        self.assertComplete(password=new_password)

    def test_cron_survives_a_crash_of_one_account(self):
        """Even a bug outside the Teleum client (here in the balance update) is caught per account:
        the cron is not counted as failing."""
        cron = self.env.ref("teleum_telephony.ir_cron_teleum_sync_config")
        cron.write({"failure_count": 4, "first_failure_date": fields.Datetime.now() - timedelta(days=8)})
        Account = type(self.env["teleum.account"])

        def broken(account, client):
            raise ZeroDivisionError("bug in balance")

        with patch.object(Account, "_sync_balance", broken):
            self.assertEqual(self.run_cron_like_the_scheduler("teleum_telephony.ir_cron_teleum_sync_config"),
                             "fully done")
        self.assertTrue(cron.active)
        self.assertEqual(cron.failure_count, 0)
        self.assertEqual(self.account.state, "error")
        self.assertIn("bug in balance", self.account.last_error)


@tagged("post_install", "-at_install")
class TestFaultsOnWrites(FaultCase):
    """Lost replies of writes not covered by test_write: tariffs, SIP edits, dropped requests."""

    def setUp(self):
        super().setUp()
        self.account._sync_all(parts=("config", "balance"))
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        self.sandbox.reset_stats()
        self.manager = new_test_user(self.env, "fault_mgr", groups="teleum_telephony.group_teleum_manager")

    def writes(self):
        return {k: v for k, v in self.sandbox.stats()["requests"].items()
                if k in ("editForward", "deleteForward", "moveForward", "editSIP", "deleteSIP", "connectTariff")}

    def number_wizard(self, tariff_tid="11"):
        Wizard = self.env["teleum.get.number.wizard"]
        wizard = Wizard.browse(Wizard._action_start(self.account)["res_id"])
        tariff = self.env["teleum.tariff"].search([("account_id", "=", self.account.id),
                                                   ("teleum_id", "=", tariff_tid)])
        wizard.write({"group_id": tariff.group_id.id, "tariff_id": tariff.id})
        wizard.action_next()
        wizard.line_ids[0].action_choose()
        return wizard

    def test_tariff_reply_lost_but_connected(self):
        wizard = self.number_wizard()
        chosen = wizard.line_id.number
        self.sandbox.reset_stats()
        self.sandbox.inject("malformed", "connectTariff")
        action = wizard.action_connect()
        self.assertEqual(self.writes(), {"connectTariff": 1}, "never sent twice")
        number = self.env["teleum.number"].browse(action["res_id"])
        self.assertEqual(number.number, chosen)
        live = [n for n in self.sandbox.state(DEMO_LOGIN)["numbers"] if n["number"] == chosen]
        self.assertEqual(len(live), 1)
        self.assertEqual(len(self.env["teleum.number"].search([("number", "=", chosen)])), 1)

    def test_tariff_request_lost_not_connected(self):
        for kind in ("error502", "drop"):
            with self.subTest(kind=kind):
                wizard = self.number_wizard()
                chosen = wizard.line_id.number
                self.sandbox.reset_stats()
                self.sandbox.inject(kind, "connectTariff")
                with self.assertRaisesRegex(Exception, "nothing was connected"):
                    wizard.action_connect()
                self.assertEqual(self.writes(), {"connectTariff": 1}, "not sent again")
                self.assertNotIn(chosen, [n["number"] for n in self.sandbox.state(DEMO_LOGIN)["numbers"]])

    def test_tariff_reply_lost_and_teleum_unreadable(self):
        wizard = self.number_wizard()
        self.sandbox.reset_stats()
        self.sandbox.inject("malformed", "connectTariff")
        self.sandbox.inject("error500", "getConnectedTariffs", count=FAST["retries"] + 1)
        with self.assertRaisesRegex(Exception, "may or may not be connected"):
            wizard.action_connect()
        self.assertEqual(self.writes(), {"connectTariff": 1})

    def test_sip_edit_reply_lost(self):
        line = self.env["teleum.sip"].search([("account_id", "=", self.account.id)], limit=1)
        self.sandbox.inject("malformed", "editSIP")
        line.write({"description": "Lost reply desk"})  # Teleum re-read: the change is there
        self.assertEqual(self.writes(), {"editSIP": 1}, "never sent twice")
        raw = self.sandbox.api.accounts[DEMO_LOGIN].sips[int(line.teleum_id)]
        self.assertEqual(raw["descr"], "Lost reply desk")
        self.assertEqual(line.description, "Lost reply desk")
        self.sandbox.inject("error502", "editSIP")
        with self.assertRaisesRegex(UserError, "did not confirm"):
            line.write({"description": "Never arrived"})
        self.assertEqual(self.writes(), {"editSIP": 2})
        self.assertEqual(raw["descr"], "Lost reply desk")

    def test_forward_create_dropped_not_resent(self):
        number = self.env["teleum.number"].search([("account_id", "=", self.account.id),
                                                   ("number", "=", "78123232323")])
        phone = self.env["teleum.forward.type"].search([("account_id", "=", self.account.id),
                                                        ("kind", "=", "phone")], limit=1)
        before = len([f for f in self.sandbox.state(DEMO_LOGIN)["forwards"] if not f["deleted"]])
        self.sandbox.inject("drop", "editForward")
        with self.assertRaisesRegex(Exception, "not created"):
            self.env["teleum.forward"].create({"number_id": number.id, "type_id": phone.id,
                                               "target": "+7 916 555-00-77", "timeout": 15})
        self.assertEqual(self.writes(), {"editForward": 1})
        self.assertEqual(len([f for f in self.sandbox.state(DEMO_LOGIN)["forwards"] if not f["deleted"]]),
                         before)
