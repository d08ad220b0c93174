"""Returns of missed calls: which call returned each missed call, how fast, and the measures of the
calls analysis and the digest over them."""

import shutil
import unittest
from datetime import datetime, timedelta

import pytz

from odoo.tests import HttpCase, new_test_user, tagged

from .common import DEMO_LOGIN, TeleumCase
from .test_screens_scale import stat_rows

MSK = pytz.timezone("Europe/Moscow")
OUR_NUMBER = "78123232323"
HAS_CHROMIUM = shutil.which("chromium") or shutil.which("google-chrome") or shutil.which("chromium-browser")
A, B, C, D = "79161110001", "79161110002", "79161110003", "79161110004"


class ReturnsDay(TeleumCase):
    """A day of calls: two missed calls returned by one call dialled with 8, an unanswered attempt
    then an answered call back, a caller never returned, a return in the next sync, an internal call."""

    sandbox_options = {"seed": 5, "months": 1, "calls_per_month": 0}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.now = datetime.now(MSK).replace(microsecond=0)
        cls.account.action_sync()  # the lines and numbers
        cls.Call = cls.env["teleum.call"]
        cls.elena = new_test_user(cls.env, "ret_elena", name="Elena Returns",
                                  groups="teleum_telephony.group_teleum_own")
        cls.sergey = new_test_user(cls.env, "ret_sergey", name="Sergey Returns",
                                   groups="teleum_telephony.group_teleum_own")
        cls.manager = new_test_user(cls.env, "ret_manager", name="Manager Returns",
                                    groups="teleum_telephony.group_teleum_manager,sales_team.group_sale_manager")
        sips = cls.env["teleum.sip"].search([("account_id", "=", cls.account.id)])
        cls.line = {s.num: s for s in sips}
        cls.line["101"].user_id = cls.elena
        cls.line["102"].user_id = cls.sergey
        cls.contact = cls.env["res.partner"].create({"name": "Caller C", "phone": "+" + C, "user_id": cls.sergey.id})
        to_101, to_102 = "Переадресация на: 101", "Переадресация на: 102"
        for src, dst, ago, disposition, billsec, rdr in (
            (A, OUR_NUMBER, 600, "NO ANSWER", 0, to_101),           # A1
            (A, OUR_NUMBER, 590, "BUSY", 0, to_101),                # A2
            ("101", "8" + A[1:], 580, "ANSWERED", 40, ""),          # returns A1 and A2, dialled with 8
            (B, OUR_NUMBER, 500, "NO ANSWER", 0, to_101),           # B
            ("101", B, 497, "NO ANSWER", 0, ""),                    # an attempt: not a return
            ("101", B, 490, "ANSWERED", 60, ""),                    # returns B
            (C, OUR_NUMBER, 400, "NO ANSWER", 0, to_102),           # C1: never returned
            ("101", "102", 350, "NO ANSWER", 0, ""),                # internal
            (C, OUR_NUMBER, 300, "FAILED", 0, to_102),              # C2: never returned
            (D, OUR_NUMBER, 200, "NO ANSWER", 0, to_101),           # D: returned in the next sync
        ):
            cls.add_call(src, dst, ago, disposition, billsec, rdr)
        cls.account.action_sync()

    @classmethod
    def add_call(cls, src, dst, minutes_ago, disposition, billsec=0, rdr=""):
        when = cls.now - timedelta(minutes=minutes_ago)
        cls.sandbox.add_call(DEMO_LOGIN, src=src, dst=dst, calldate=when.strftime("%Y-%m-%d %H:%M:%S"),
                             billsecu=str(billsec), billsec="%02d:%02d" % divmod(billsec, 60),
                             disposition=disposition, rdr=rdr)

    def calls_of(self, key):
        return self.Call.search([("account_id", "=", self.account.id), ("remote_number", "=", key)],
                                order="call_date")


@tagged("post_install", "-at_install")
class TestReturns(ReturnsDay):
    def test_returns_and_delays(self):
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        a1, a2, back_a = self.calls_of(A)
        self.assertEqual((a1.status, a2.status, back_a.direction, back_a.status),
                         ("no_answer", "busy", "outbound", "answered"), "the number dialled with 8 is A's")
        self.assertEqual((a1.callback_call_id, a1.callback_delay, a1.callback_in_target), (back_a, 1200, False))
        self.assertEqual((a2.callback_call_id, a2.callback_delay, a2.callback_in_target), (back_a, 600, True))
        b, attempt, back_b = self.calls_of(B)
        self.assertEqual(attempt.status, "no_answer")
        self.assertEqual((b.callback_call_id, b.callback_delay, b.callback_in_target), (back_b, 600, True),
                         "the unanswered attempt is no return")
        c1, c2 = self.calls_of(C)
        (d,) = self.calls_of(D)
        for call in (c1, c2, d):
            self.assertFalse(call.callback_call_id)
            self.assertEqual(call.callback_delay, 0)
        for call in (back_a, attempt, back_b):
            self.assertFalse(call.callback_call_id, "only missed calls are returned")
        internal = self.Call.search([("account_id", "=", self.account.id), ("direction", "=", "internal")])
        self.assertEqual(len(internal), 1)
        self.assertFalse(internal.missed or internal.callback_call_id or internal.not_returned)
        not_returned = self.Call.search([("account_id", "=", self.account.id), ("not_returned", "=", True)])
        self.assertEqual(not_returned.ids, (d | c2 | c1).ids, "newest first")
        # the caller with a contact shows its open call-back in the list
        self.assertEqual(c2.callback_activity_user_id, self.sergey)
        self.assertIn("8 (916) 111-00-03", c2.callback_activity)  # numbers as everywhere (tools/phone.py)

        # the next sync brings D's call to us, answered: D is returned, late
        self.add_call(D, OUR_NUMBER, 100, "ANSWERED", 30)
        self.account.action_sync()
        back_d = self.calls_of(D)[1:]
        self.assertEqual((d.callback_call_id, d.callback_delay, d.callback_in_target), (back_d, 6000, False))
        self.assertEqual(self.Call.search([("account_id", "=", self.account.id), ("not_returned", "=", True)]),
                         c2 | c1)
        self.assertEqual(self.Call.search_count([("not_returned", "=", False), ("id", "in", (c1 | c2 | d).ids)]), 1)

        # the analysis: per agent, and the statistics a GROUP BY over the calls
        self.env.flush_all()
        self.assertEqual(stat_rows(self.env.cr, "teleum_call_stat"), stat_rows(self.env.cr, "teleum_call"))
        Report = self.env["teleum.call.report"].with_user(self.manager)
        measures = ["missed_count:sum", "returnable_count:sum", "returned_count:sum", "in_target_count:sum",
                    "not_returned_count:sum", "in_target_rate:avg", "returned_rate:avg", "return_delay:avg",
                    "missed_rate:avg", "__count"]
        rows = {user: values for user, *values in Report._read_group([], ["user_id"], measures)}
        # Elena: A1, A2, B, D (2 in time); Sergey: C1, C2 (none)
        self.assertEqual(rows[self.elena][:5], [4, 4, 4, 2, 0])
        self.assertAlmostEqual(rows[self.elena][5], 50.0)
        self.assertAlmostEqual(rows[self.elena][6], 100.0)
        self.assertAlmostEqual(rows[self.elena][7], (1200 + 600 + 600 + 6000) / 60 / 4)
        self.assertAlmostEqual(rows[self.elena][8], 100.0, msg="all of Elena's inbound calls were missed")
        self.assertEqual(rows[self.sergey][:5], [2, 2, 0, 0, 2])
        self.assertAlmostEqual(rows[self.sergey][5], 0.0)
        self.assertFalse(rows[self.sergey][7], "no return: no delay")
        # the total is a ratio of the sums, never a sum or an average of the agents' rates
        (total,) = Report._read_group([], [], measures)
        self.assertEqual(list(total[:5]), [6, 6, 4, 2, 2])
        self.assertAlmostEqual(total[5], 100.0 * 2 / 6)
        self.assertAlmostEqual(total[8], 100.0 * 6 / 7, msg="6 missed of 7 inbound calls (D's answered call)")
        # per number and per day: the same ratios
        (number_row,) = Report._read_group([("number_id", "!=", False), ("direction", "=", "inbound")],
                                           ["number_id"], ["missed_rate:avg", "in_target_rate:avg"])
        self.assertAlmostEqual(number_row[1], 100.0 * 6 / 7)
        self.assertAlmostEqual(number_row[2], 100.0 * 2 / 6)

    def test_target_changes_what_is_in_time(self):
        a1 = self.calls_of(A)[0]
        self.assertFalse(a1.callback_in_target)
        self.env.company.teleum_callback_target = 30
        self.assertTrue(a1.callback_in_target, "20 minutes are within a 30-minute target")
        self.env.flush_all()
        self.assertEqual(stat_rows(self.env.cr, "teleum_call_stat"), stat_rows(self.env.cr, "teleum_call"))
        (in_time,) = self.env["teleum.call.report"]._read_group([], [], ["in_target_count:sum"])[0]
        self.assertEqual(in_time, 3)

    def test_return_on_a_later_page_and_resumed(self):
        """Re-reading everything in pages of 2 (a return on another page than its missed call, read
        first or after it) leaves the same returns: nothing is lost or doubled."""
        before = {c.id: (c.callback_call_id.id, c.callback_delay) for c in self.calls_of(A) | self.calls_of(B)}
        self.assertEqual(len({v for v in before.values() if v[0]}), 3, "A1, A2 and B returned")
        calls = self.Call.search([("account_id", "=", self.account.id)])
        for newest_first in (True, False):  # each return read before its missed call, then after it
            calls.write({"callback_call_id": False, "callback_delay": 0, "callback_in_target": False})
            pages = calls.sorted("call_date", reverse=newest_first)
            for i in range(0, len(pages), 2):
                pages[i:i + 2]._after_import()
            self.assertEqual({c.id: (c.callback_call_id.id, c.callback_delay)
                              for c in self.calls_of(A) | self.calls_of(B)}, before)

    def test_digest_kpi(self):
        digest = self.env.ref("digest.digest_digest_default")
        self.assertTrue(digest.kpi_teleum_not_returned, "in Odoo's default digest")
        start = datetime.now() - timedelta(days=1)
        value = digest.with_user(self.manager).with_context(
            start_datetime=start, end_datetime=datetime.now() + timedelta(hours=1),
        ).with_company(self.env.company).kpi_teleum_not_returned_value
        self.assertEqual(value, 3, "C1, C2 and D")
        salesman = new_test_user(self.env, "ret_nobody", groups="base.group_user")
        kpis = digest._compute_kpis(self.env.company, salesman)
        self.assertNotIn("kpi_teleum_not_returned", [k["kpi_name"] for k in kpis], "no telephony user: no KPI")


@tagged("post_install", "-at_install")
class TestReturnsTour(ReturnsDay, HttpCase):
    @unittest.skipUnless(HAS_CHROMIUM, "no Chromium (dev/test installs Debian's chromium package)")
    def test_manager_tour(self):
        self.start_tour("/odoo/action-teleum_telephony.teleum_call_action", "teleum_returns_tour",
                        login="ret_manager", timeout=120)
