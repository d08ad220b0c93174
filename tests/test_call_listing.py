"""The months of an account (``teleum.call.listing``): what the account form lists, a month an
administrator asks to be read again, and imports resuming from the month's listing."""

from datetime import datetime, timedelta
from unittest.mock import patch

from dateutil.relativedelta import relativedelta

from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged

from ..teleum_api import TeleumClient
from .common import DEMO_LOGIN, DEMO_PASSWORD, SECOND_LOGIN, SECOND_PASSWORD, TeleumCase


@tagged("post_install", "-at_install")
class TestCallListing(TeleumCase):
    # three months: the oldest is over (complete once read), the previous and the current are open
    sandbox_options = {"seed": 13, "months": 3, "calls_per_month": 40}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account.history_months = 3
        cls.admin = cls.env.ref("base.user_admin")
        cls.manager = new_test_user(cls.env, "listing_manager", groups="teleum_telephony.group_teleum_manager")

    def teleum_counts(self):
        client = TeleumClient(DEMO_LOGIN, DEMO_PASSWORD, base_url=self.sandbox.url, timeout=30)
        return {m: client.report_calls(m.year, m.month, start=0, limit=1).count for m in self.history()}

    def history(self):
        today = self.account._local_today().replace(day=1)
        return [today - relativedelta(months=k) for k in (2, 1, 0)]

    def listings(self):
        return self.account.call_listing_ids.sorted("month")

    def requests(self):
        return self.sandbox.stats()["requests"].get("reportCalls", 0)

    def assertEveryCallOnce(self):
        truth = sum(len(self.sandbox.call_rows(DEMO_LOGIN, m.year, m.month)) for m in self.history())
        calls = self.calls()
        self.assertEqual(len(calls), truth, "as many calls as Teleum lists")
        keys = {(c.fingerprint, c.occurrence) for c in calls}
        self.assertEqual(len(keys), len(calls), "no call twice")

    def test_the_account_form_lists_its_months(self):
        self.account.action_sync()
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        before = datetime.now() - timedelta(minutes=5)
        listings = self.listings()
        oldest, previous, current = self.history()
        self.assertEqual(listings.mapped("month"), [oldest, previous, current], "one line per month of history")
        self.assertEqual(listings.mapped("display_name"), [m.strftime("%m/%Y") for m in self.history()])
        counts = self.teleum_counts()
        for listing in listings:
            with self.subTest(month=listing.display_name):
                self.assertEqual(listing.teleum_count, counts[listing.month], "Teleum's count")
                stored = self.calls().filtered(lambda c, m=listing.month: c.listing_month == m.strftime("%Y-%m"))
                self.assertEqual(listing.call_count, len(stored), "the calls stored from the month")
                self.assertEqual(listing.call_count, counts[listing.month])
                self.assertGreater(listing.last_full_read, before, "read in full just now")
                self.assertFalse(listing.offset, "no read stopped inside the month")
        self.assertEqual(listings.mapped("state"), ["complete", "open", "open"],
                         "the month that is over is complete; the previous and the current stay open")
        # The request after a month's last page (the end is not certain from a page alone) answers
        # one row with a count of 40: a count larger than its answer is the month's total.
        self.assertEqual(listings.mapped("count_trust"), ["total"] * 3)
        self.sandbox.reset_stats()
        self.account.action_sync()
        self.assertEqual(self.requests(), 2, "the complete month is not asked again; the open ones are probed")
        self.assertEqual(listings.mapped("count_trust"), ["total"] * 3)
        self.assertEqual(listings.mapped("state"), ["complete", "open", "open"])

        # what the form shows, to whom
        form = Form(self.account.with_user(self.manager))
        self.assertEqual(len(form.call_listing_ids), 3, "a telephony manager sees the months")
        self.assertEqual(self.listings().with_user(self.manager).mapped("call_count"), listings.mapped("call_count"))
        arch = self.account.get_views([(False, "form")])["views"]["form"]["arch"]
        for name in ("teleum_count", "count_trust", "call_count", "state", "last_full_read", "action_read_again"):
            self.assertIn(f'name="{name}"', arch)
        with self.assertRaises(AccessError, msg="only an administrator asks for a month again"):
            listings[0].with_user(self.manager).action_read_again()
        own = new_test_user(self.env, "listing_own", groups="teleum_telephony.group_teleum_own")
        with self.assertRaises(AccessError):
            self.env["teleum.call.listing"].with_user(own).search([])

    def test_other_company_does_not_see_the_months(self):
        company2 = self.env["res.company"].create({"name": "Listing Co", "country_id": self.env.ref("base.ru").id})
        other = self.env["teleum.account"].create({
            "name": "Other", "company_id": company2.id, "api_url": self.sandbox.url,
            "login": SECOND_LOGIN, "password": SECOND_PASSWORD, "history_months": 1})
        self.account.action_sync()
        other.action_sync()
        self.assertTrue(other.call_listing_ids)
        manager = new_test_user(self.env, "listing_manager_1", groups="teleum_telephony.group_teleum_manager",
                                company_id=self.env.company.id, company_ids=[(6, 0, self.env.company.ids)])
        seen = self.env["teleum.call.listing"].with_user(manager).search([])
        self.assertEqual(seen, self.account.call_listing_ids)

    def test_month_read_again_keeps_every_call_once(self):
        self.account.action_sync()
        oldest = self.listings()[0]
        self.assertEqual(oldest.state, "complete")
        # a record Teleum adds late to a month that is over: a sync does not read that month again
        self.sandbox.add_call(DEMO_LOGIN, src="79035550199", dst="78123232323",
                              calldate=oldest.month.strftime("%Y-%m-05 10:00:03"), billsecu="9",
                              disposition="ANSWERED", rdr="")
        before, stored = len(self.calls()), oldest.call_count
        self.account.action_sync()
        self.assertEqual(len(self.calls()), before)
        self.assertEqual(len(self.sandbox.call_rows(DEMO_LOGIN, oldest.month.year, oldest.month.month)), stored + 1)

        # the administrator asks for it again: the sync starts at once, in the background
        self.sandbox.reset_stats()
        result = oldest.with_user(self.admin).action_read_again()
        self.assertEqual(result["params"]["title"], "Sync started")
        self.assertEqual(oldest.state, "to_read")
        self.assertFalse(oldest.last_full_read)
        self.assertEqual(self.account.sync_requested_by, self.admin)
        cron = self.env.ref("teleum_telephony.ir_cron_teleum_sync_requested")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        for _run in range(10):
            self.env["teleum.account"]._cron_sync_requested()
            if not self.account.sync_requested_at:
                break
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        self.assertEqual(len(self.calls()), before + 1, "the late call arrived, nothing else was added")
        self.assertEveryCallOnce()
        self.assertEqual(oldest.state, "complete")
        self.env.invalidate_all()  # the calls stored are counted afresh (on the form: at each reading)
        self.assertEqual(oldest.call_count, len(self.sandbox.call_rows(DEMO_LOGIN, oldest.month.year,
                                                                       oldest.month.month)))
        self.assertTrue(oldest.last_full_read)
        # and once more with nothing new: read in full again, still every call once
        oldest.with_user(self.admin).action_read_again()
        self.account.action_sync()
        self.assertEqual(len(self.calls()), before + 1)
        self.assertEveryCallOnce()

    def test_resume_from_the_listing(self):
        """A budgeted run stops inside a month: its listing says where, and the next run asks
        Teleum from there (reading again the rows it ended on)."""
        with self.small_pages(7):
            self.assertEqual(self.account._sync_all(budget=2, parts=("calls",)), 1)
            reading = self.reading()
            self.assertEqual(len(reading), 1)
            self.assertEqual(reading.month, self.account.calls_pass_month)
            self.assertEqual(reading.offset, 7 + 6)
            self.assertTrue(reading.overlap)
            self.assertEqual(reading.call_count, 7 + 6)
            starts = []
            original = TeleumClient.report_calls

            def report_calls(client, year, month, *args, **kwargs):
                starts.append(kwargs.get("start"))
                return original(client, year, month, *args, **kwargs)

            with patch.object(TeleumClient, "report_calls", report_calls):
                self.account._sync_all(budget=1, parts=("calls",))
            self.assertEqual(starts, [13 - len(reading.overlap.split(","))])
            self.assertEqual(reading.offset, 13 + 6)
            while self.account._sync_all(budget=3, parts=("calls",)):
                pass
        self.assertFalse(self.reading())
        self.assertFalse(self.account.calls_pass_month)
        self.assertEveryCallOnce()

    def test_read_again_while_the_month_is_read(self):
        """Asked again while a read stands inside the month (between two runs, or between two
        pages of one run): the month is read from its first row, and every call stays once."""
        from ..models.teleum_call_listing import READ_AGAIN

        with self.small_pages(7):
            self.account._sync_all(budget=2, parts=("calls",))
            reading = self.reading()
            self.assertEqual(reading.offset, 13)
            reading.with_user(self.admin).action_read_again()
            self.assertEqual((reading.state, reading.offset, reading.overlap), ("to_read", 0, False))
            starts = []
            Account = type(self.env["teleum.account"])
            original, walked = Account._calls_walked, []

            def report_calls(client, year, month, *args, _original=TeleumClient.report_calls, **kwargs):
                if (year, month) == (reading.month.year, reading.month.month):
                    starts.append(kwargs.get("start"))
                return _original(client, year, month, *args, **kwargs)

            def calls_walked(account, *args, **kwargs):
                original(account, *args, **kwargs)  # the page is committed
                walked.append(args)
                if len(walked) == 3:  # a person asks again while this run reads the month
                    reading.write(READ_AGAIN)

            with patch.object(TeleumClient, "report_calls", report_calls), \
                    patch.object(Account, "_calls_walked", calls_walked):
                self.account._sync_all(parts=("calls",))
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        self.assertEqual([start > 0 for start in starts[:4]], [False, True, True, False],
                         "from the first row, and again when asked during the read")
        self.assertEqual(reading.state, "complete")
        self.assertEveryCallOnce()
