"""Many accounts, one of them slow: the calls cron gives each account a turn bounded in time, so
that a Teleum answering in seconds does not hold up the others' new calls; the slow one is shown
as slow (never as failed) and catches up over the next runs.

Scaled down from the issue (20 accounts, 5 s an answer, a five-minute cycle): 6 accounts, 1 s an
answer, and the turn, run and "slow" thresholds divided alike.
"""

import time
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tools import config

from ..models import teleum_account
from ..sandbox.data import numbered_accounts
from .test_faults import FaultCase

SPECS = numbered_accounts(6)
SLOW = SPECS[2]  # account3@example.com
LATENCY = 1.0
RUN = 10  # the run's (the cycle's) budget, scaled


class TestManyAccounts(FaultCase):
    sandbox_options = {"seed": 5, "months": 2, "calls_per_month": 40, "accounts": SPECS}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fast = cls.account  # demo@example.com, made by TeleumCase
        for spec in SPECS[1:]:
            if spec is SLOW:
                continue
            company = cls.env["res.company"].create({"name": spec["email"], "country_id": cls.env.ref("base.ru").id})
            cls.fast |= cls.env["teleum.account"].create({
                "name": spec["email"], "company_id": company.id, "api_url": cls.sandbox.url,
                "login": spec["email"], "password": spec["password"], "history_months": 2})
        cls.cron = cls.env.ref("teleum_telephony.ir_cron_teleum_sync_calls")

    def scaled(self):
        """The cron's thresholds scaled like the latency (20 s turn, 6 answers, 240 s run, 2 s slow)."""
        for name, value in (("TURN_SECONDS", 2), ("TURN_ANSWERS", 4), ("RUN_SECONDS", RUN),
                            ("SLOW_ANSWER_SECONDS", 0.5)):
            self.startPatcher(patch.object(teleum_account, name, value))

    def triggers(self):
        return self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)])

    def test_slow_account_does_not_hold_up_the_others(self):
        Account = self.env["teleum.account"]
        with self.small_pages(5), self.units():
            Account._cron_sync_calls()  # the fast accounts' history, at full speed
            self.assertEqual(set(self.fast.mapped("state")), {"ok"})
            # A customer connects a Teleum account that answers every request in a second...
            company = self.env["res.company"].create({"name": "Slow Co", "country_id": self.env.ref("base.ru").id})
            slow = Account.create({"name": "Slow", "company_id": company.id, "api_url": self.sandbox.url,
                                   "login": SLOW["email"], "password": SLOW["password"], "history_months": 2})
            self.sandbox.set_account_latency(SLOW["email"], LATENCY)
            # ... and five minutes later the others have new calls: the next cycle begins.
            new = {}
            for n, account in enumerate(self.fast):
                rows = [self.sandbox.add_call(account.sudo().login, src=f"7916555{n:02d}{k:02d}", dst="78123232323",
                                              billsec=20) for k in range(2)]
                new[account] = [r["src"] for r in rows]
            self.fast.sudo().write({"calls_due_at": False})
            self.scaled()
            triggers = self.triggers()

            started = time.monotonic()
            Account._cron_sync_calls()
            elapsed = time.monotonic() - started

            # the slow account went first (it never had a turn) and was cut short...
            self.assertLess(elapsed, RUN, "one run, within the cycle's budget")
            self.assertTrue(slow.calls_due_at <= fields.Datetime.now(), "it has pages left: due again")
            self.assertLess(len(self.calls(slow)), self.api_call_total(SLOW["email"], SLOW["password"]))
            # ... and the others' new calls arrived in that same run
            for account, numbers in new.items():
                got = self.calls(account).filtered(lambda c, numbers=numbers: c.src in numbers)
                self.assertEqual(len(got), 2, "the new calls of %s arrived" % account.name)
                self.assertEqual(account.state, "ok", account.last_error)
            # slow, not failed, on the account and in Settings
            self.assertEqual(slow.state, "slow")
            self.assertFalse(slow.last_error)
            self.assertGreaterEqual(slow.answer_seconds, LATENCY)
            self.assertIn("Teleum answers slowly", slow.slow_notice)
            settings = self.env["res.config.settings"].with_company(company).create({})
            self.assertEqual((settings.teleum_state, settings.teleum_slow_notice), ("slow", slow.slow_notice))
            self.assertEqual(self.triggers(), triggers + 1, "the cron runs again at once for the slow one")

            # The next runs (triggered) serve the slow account only, until it has caught up.
            turns = {a: a.calls_turn_at for a in self.fast}
            runs = 0
            while slow.calls_due_at <= fields.Datetime.now():
                runs += 1
                self.assertLess(runs, 15, "it catches up")
                Account._cron_sync_calls()
                self.assertEqual(slow.state, "slow", slow.last_error)
            self.assertGreater(runs, 1, "it took several runs")
            self.assertEqual({a: a.calls_turn_at for a in self.fast}, turns, "the others were not asked again")
            self.assertFalse(slow.last_error)
        self.assertComplete(slow, login=SLOW["email"], password=SLOW["password"])
        for account in self.fast:
            self.assertEqual(len(self.calls(account)), self.api_call_total(account.sudo().login,
                                                                            self._password(account)))

    @staticmethod
    def _password(account):
        return next(s["password"] for s in SPECS if s["email"] == account.sudo().login)

    def test_account_synced_elsewhere_is_left_alone(self):
        """An account another worker syncs (Sync now, another server): the calls cron neither
        waits for it nor writes its row (that would make the other worker's page fail), and comes
        back for it in a minute; the others are served."""
        locked, others = self.fast[0], self.fast[1:]
        cr = self.env.registry.cursor()
        try:
            cr.execute(teleum_account.LOCK_SQL, (teleum_account._LOCK_NAMESPACE, locked.id))
            self.assertTrue(cr.fetchone()[0])
            before = self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)])
            self.env["teleum.account"]._cron_sync_calls()
        finally:
            cr.close()
        self.assertFalse(locked.calls_turn_at or locked.calls_due_at, "its row is left alone")
        self.assertFalse(self.calls(locked))
        self.assertTrue(all(self.calls(a) for a in others))
        self.assertTrue(all(a.calls_due_at > fields.Datetime.now() for a in others), "done until next cycle")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)]) - before
        self.assertEqual(len(triggers), 1)
        self.assertGreater(triggers.call_at, fields.Datetime.now() + timedelta(seconds=30), "in a minute")

    def test_a_run_stays_under_odoo_time_limit_of_a_cron(self):
        """Odoo kills a cron worker past limit_time_real_cron (-1: limit_time_real): a run of the
        calls cron lasts at most half of it."""
        for options, seconds in (({"limit_time_real_cron": -1, "limit_time_real": 120}, 60),
                                 ({"limit_time_real_cron": 600}, 240),
                                 ({"limit_time_real_cron": 100}, 50),
                                 ({"limit_time_real_cron": 0}, 240)):
            with patch.dict(config.options, options):
                self.assertEqual(teleum_account._run_seconds(), seconds, options)
