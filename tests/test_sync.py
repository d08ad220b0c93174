from dataclasses import replace
from datetime import datetime, timedelta
from unittest.mock import patch

from odoo.tests import tagged

from ..models import teleum_account, teleum_call_listing
from ..teleum_api import TeleumClient
from ..teleum_api.parsers import parse_call
from .common import SECOND_LOGIN, SECOND_PASSWORD, TeleumCase


@tagged("post_install", "-at_install")
class TestSync(TeleumCase):
    def test_first_sync_imports_everything(self):
        self.account.action_sync()
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        state = self.sandbox.state("demo@example.com")
        numbers = self.env["teleum.number"].search([("account_id", "=", self.account.id)])
        self.assertEqual(sorted(numbers.mapped("number")), sorted(n["number"] for n in state["numbers"]))
        self.assertTrue(all(numbers.mapped("teleum_id")), "every number got the id forwards refer to")
        sips = self.env["teleum.sip"].search([("account_id", "=", self.account.id)])
        self.assertEqual(sorted(sips.mapped("num")), sorted(str(s["num"]) for s in state["sips"]))
        live_forwards = [f for f in state["forwards"] if not int(f.get("deleted") or 0)]
        forwards = self.env["teleum.forward"].search([("account_id", "=", self.account.id)])
        self.assertEqual(len(forwards), len(live_forwards))
        self.assertTrue(forwards.filtered("schedule"), "schedules are read from dowjs2")
        calls = self.calls()
        self.assertEqual(len(calls), self.api_call_total())
        self.assertEqual(set(calls.mapped("direction")) - {"inbound", "outbound", "internal"}, set())
        self.assertIn("answered", calls.mapped("status"))
        self.assertTrue(calls.filtered("recording_id"), "recordings are linked to their calls")
        self.assertTrue(self.account.contract)
        self.assertGreater(self.account.balance, 0)

    def test_identical_rows_are_two_calls(self):
        self.account.action_sync()
        twins = self.calls().filtered(lambda c: c.occurrence == 2)
        self.assertTrue(twins, "the sandbox's identical rows are kept as separate calls")
        for twin in twins:
            first = self.calls().filtered(lambda c, t=twin: c.fingerprint == t.fingerprint and c.occurrence == 1)
            self.assertEqual((first.call_date, first.src, first.dst), (twin.call_date, twin.src, twin.dst))

    def test_second_sync_changes_nothing(self):
        self.account.action_sync()
        calls = self.calls()
        forwards = self.env["teleum.forward"].search([("account_id", "=", self.account.id)])
        stamps = {r: r.write_date for r in forwards}
        self.account.action_sync()
        self.assertEqual(self.calls(), calls)
        self.env.invalidate_all()
        self.assertEqual({r: r.write_date for r in forwards}, stamps, "an unchanged re-sync writes nothing")

    def test_late_rows_are_picked_up(self):
        self.account.action_sync()
        before = len(self.calls())
        today = self.account._local_today()
        self.sandbox.add_call("demo@example.com", src="79031112233", dst="78123232323",
                              calldate=today.strftime("%Y-%m-01 00:00:05"), billsecu="42", billsec="00:42",
                              disposition="ANSWERED", rdr="")
        self.account.action_sync()
        self.assertEqual(len(self.calls()), before + 1)
        self.assertEqual(len(self.calls()), self.api_call_total())

    def test_dates_in_utc_across_month_boundary(self):
        today = self.account._local_today()
        # 01:30 Moscow on the 1st is 22:30 UTC on the last day of the previous month
        self.sandbox.add_call("demo@example.com", src="79035556677", dst="78123232323",
                              calldate=today.strftime("%Y-%m-01 01:30:00"), billsecu="65", billsec="01:05",
                              disposition="NO ANSWER", rdr="")
        self.account.action_sync()
        call = self.calls().filtered(lambda c: c.src == "79035556677")
        self.assertEqual(len(call), 1)
        first = today.replace(day=1)
        self.assertEqual(call.call_date.date(), first.fromordinal(first.toordinal() - 1))
        self.assertEqual(call.call_date.strftime("%H:%M"), "22:30")
        self.assertEqual((call.status, call.duration, call.direction), ("no_answer", 65, "inbound"))

    def test_session_expiring_mid_sync(self):
        with self.small_pages(10):
            self.sandbox.inject("session", "reportCalls", count=1)
            self.account.action_sync()
            self.sandbox.expire_sessions()
            self.account.action_sync()
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        self.assertEqual(len(self.calls()), self.api_call_total())
        self.assertGreaterEqual(self.sandbox.stats()["requests"].get("login", 0), 2)

    def test_resume_after_interrupted_runs(self):
        """A cron run stops after a few pages; the next runs continue: no gap, no duplicate."""
        with self.small_pages(7):
            runs = 0
            while self.account._sync_all(budget=2, parts=("calls",)):
                runs += 1
                self.assertLess(runs, 200)
        self.assertGreater(runs, 2)
        self.assertEqual(len(self.calls()), self.api_call_total())
        self.assertFalse(self.account.calls_pass_month)

    def test_unreadable_row_is_kept(self):
        """A row Teleum sends that cannot be read is stored with its raw data, never skipped."""
        bad_rows = [
            {"src": "79030000001", "dst": "78123232323", "billsec": "??", "billsecu": "abc",
             "disposition": "ANSWERED", "calldate": "2026-13-45 99:00:00", "rdr": ""},
            {"weird": ["shape"], "src": None},
        ]
        original = TeleumClient.report_calls

        def report_calls(client, year, month, *args, **kwargs):
            # a listing whose last rows are the unreadable ones (its count includes them)
            start = kwargs.get("start", 0)
            page = original(client, year, month, *args, **kwargs)
            extra = []
            if start + len(page.calls) >= page.count:
                extra = [parse_call(row, client.tz) for row in bad_rows][max(0, start - page.count):]
            return replace(page, calls=page.calls + extra, count=page.count + len(bad_rows))

        with patch.object(TeleumClient, "report_calls", report_calls):
            self.account.action_sync()
            self.account.action_sync()
        bad = self.calls().filtered("parse_error")
        self.assertEqual(len(bad), 2 * len(self.account._calls_months()))
        self.assertIn("79030000001", bad.mapped("src"))
        self.assertTrue(all(b.raw for b in bad), "the raw row is kept for a human to read")
        self.assertEqual(self.account.state, "ok")

    def test_wrong_password_does_not_stop_other_company(self):
        company2 = self.env["res.company"].create({"name": "Second company", "country_id": self.env.ref("base.ru").id})
        other = self.env["teleum.account"].create({
            "name": "Second", "company_id": company2.id, "api_url": self.sandbox.url,
            "login": SECOND_LOGIN, "password": SECOND_PASSWORD, "history_months": 1,
        })
        self.account.password = "wrong-password"
        self.env["teleum.account"]._cron_sync_config()
        self.env["teleum.account"]._cron_sync_calls()
        self.assertEqual(self.account.state, "error")
        self.assertTrue(self.account.needs_human)
        self.assertIn("password", self.account.last_error)
        self.assertNotIn("wrong-password", self.account.last_error)
        self.assertEqual(other.state, "ok", other.last_error)
        self.assertTrue(self.calls(other))
        self.assertFalse(self.calls())

    def test_contacts_match_across_formats(self):
        from ..tools import normalize_phone
        keys = {normalize_phone(n) for n in ("8 (812) 323-23-23", "+7 812 3232323", "78123232323")}
        self.assertEqual(keys, {"78123232323"})
        self.account.action_sync()
        inbound = self.calls().filtered(lambda c: c.direction == "inbound" and c.remote_number
                                        and len(c.remote_number) == 11)[:1]
        self.assertTrue(inbound)
        number = inbound.remote_number
        national = "8 (%s) %s-%s-%s" % (number[1:4], number[4:7], number[7:9], number[9:11])
        partner = self.env["res.partner"].create({"name": "Caller", "phone": national})
        same = self.calls().filtered(lambda c: c.remote_number == number)
        self.assertEqual(same.partner_id, partner, "calls from an unknown number link once a contact has it")
        self.assertEqual(partner.teleum_call_count, len(same))
        company = self.env["res.partner"].create({"name": "ACME", "is_company": True})
        partner.parent_id = company
        self.assertEqual(company.teleum_call_count, len(same), "a company counts its contacts' calls")

    def test_several_contacts_share_a_number(self):
        company = self.env["res.partner"].create({"name": "Shared Ltd", "is_company": True,
                                                  "phone": "+7 999 000-11-22"})
        self.env["res.partner"].create({"name": "Reception", "parent_id": company.id, "phone": "89990001122"})
        found = self.env["res.partner"]._teleum_partners_by_number({"79990001122"}, self.env.company)
        self.assertEqual(found, {"79990001122": company.id})

    def test_call_date_parsed_in_account_timezone(self):
        self.account.timezone = "Asia/Yekaterinburg"
        today = self.account._local_today()
        self.sandbox.add_call("demo@example.com", src="79037778899", dst="78123232323",
                              calldate=today.strftime("%Y-%m-03 12:00:00"), billsecu="1", billsec="00:01",
                              disposition="BUSY", rdr="")
        self.account.action_sync()
        call = self.calls().filtered(lambda c: c.src == "79037778899")
        self.assertEqual(call.call_date, datetime(today.year, today.month, 3, 7, 0))

    def test_schedule_from_forward_times_when_dowjs2_is_missing(self):
        original = TeleumClient.get_forwards

        def get_forwards(client, number_id):
            return [replace(f, schedule=[], schedule_text="") for f in original(client, number_id)]

        with patch.object(TeleumClient, "get_forwards", get_forwards):
            self.account.action_sync()
        forwards = self.env["teleum.forward"].search([("account_id", "=", self.account.id)])
        self.assertTrue(forwards)
        self.assertTrue(all(forwards.mapped("schedule")), "every forward's windows come from getForwardTimes")
        self.assertEqual(self.sandbox.stats()["requests"].get("getForwardTimes"), len(forwards))

    def test_two_runs_never_sync_the_same_account_at_once(self):
        with self.env.registry.cursor() as other:
            other.execute("SELECT pg_advisory_lock(%s, %s)", (teleum_account._LOCK_NAMESPACE, self.account.id))
            self.account.action_sync()
            other.execute("SELECT pg_advisory_unlock(%s, %s)", (teleum_account._LOCK_NAMESPACE, self.account.id))
        self.assertFalse(self.calls(), "the run found the account busy and left it alone")
        self.assertFalse(self.sandbox.stats()["requests"], "not a single request to Teleum")
        self.account.action_sync()
        self.assertTrue(self.calls())

    def test_unchanged_month_is_not_read_again(self):
        self.account.action_sync()
        self.assertTrue(all(self.account.call_listing_ids.mapped("last_full_read")))
        months = len(self.account._calls_months())
        self.sandbox.reset_stats()
        self.account.action_sync()
        self.assertEqual(self.sandbox.stats()["requests"].get("reportCalls"), months,
                         "one probe per unchanged month, no paging")
        # a late row changes the count: that month is read page by page again
        today = self.account._local_today()
        self.sandbox.add_call("demo@example.com", src="79031112299", dst="78123232323",
                              calldate=today.strftime("%Y-%m-01 00:00:07"), billsecu="3", billsec="00:03",
                              disposition="ANSWERED", rdr="")
        before = len(self.calls())
        self.account.action_sync()
        self.assertEqual(len(self.calls()), before + 1)

    def test_full_read_at_least_daily(self):
        """Past the safety interval every page is read again, even if the counts look unchanged."""
        with self.small_pages(10):
            self.account.action_sync()
            self.account.call_listing_ids.last_full_read = (
                datetime.now() - teleum_call_listing.FULL_PASS_EVERY - timedelta(minutes=1))
            self.sandbox.reset_stats()
            calls = self.calls()
            self.account.action_sync()
        pages = self.sandbox.stats()["requests"].get("reportCalls", 0)
        self.assertGreater(pages, 2 * len(self.account._calls_months()))
        self.assertEqual(self.calls(), calls, "a full re-read creates nothing")
        self.assertGreater(min(self.account.call_listing_ids.mapped("last_full_read")),
                           datetime.now() - timedelta(minutes=5))
