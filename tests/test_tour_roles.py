import shutil
import unittest

from odoo import fields
from odoo.tests import HttpCase, tagged

from ..dev import demo_data
from .common import TeleumCase

CALLS_URL = "/odoo/action-teleum_telephony.teleum_call_action"
HAS_CHROMIUM = shutil.which("chromium") or shutil.which("google-chrome") or shutil.which("chromium-browser")


@tagged("post_install", "-at_install")
class TestTourRoles(TeleumCase, HttpCase):
    """The demo of dev/run (same seed, same people), in a browser, in the order people work:
    the administrator after the first sync, then a salesperson, then the manager."""

    sandbox_options = {"seed": 1, "months": 2, "calls_per_month": 150}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.demo = demo_data.build_demo(cls.env, cls.account)
        cls.ivan = cls.demo["salespeople"].filtered(lambda u: u.login == "ivan")
        # Ivan joined after the first sync: no line carries his e-mail, the administrator assigns it
        cls.ivan.email = "ivan.petrov@sales.example.org"
        cls.account.action_sync()
        cls.Call = cls.env["teleum.call"]

    def line(self, num):
        return self.env["teleum.sip"].search([("account_id", "=", self.account.id), ("num", "=", num)])

    def test_demo_data(self):
        """What dev/run's first screen promises: contacts, leads, agents, recordings, no future call."""
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        calls = self.calls()
        company = self.demo["company"]
        for partner in company | self.demo["contacts"]:
            self.assertTrue(calls.filtered(lambda c, p=partner: c.partner_id.commercial_partner_id == p
                                           or c.partner_id == p),
                            f"{partner.name} ({partner.phone or partner.mobile}) is matched to calls")
        self.assertEqual(len(self.demo["contacts"]), 6)
        self.assertEqual(len(company.child_ids), 2)
        self.assertEqual(len(self.demo["leads"]), 3)
        for lead in self.demo["leads"]:
            self.assertTrue(calls.filtered(lambda c, lead=lead: c.lead_id == lead), f"{lead.phone} has calls")
        for num, login in (("101", "elena"), ("103", "sergey")):
            line = self.line(num)
            self.assertEqual(line.user_id.login, login, "the first sync gave the line to its salesperson")
            self.assertEqual(calls.filtered(lambda c, line=line: c.sip_id == line).user_id, line.user_id)
        self.assertTrue(calls.filtered("has_recording"))
        self.assertTrue(calls.filtered("missed"))
        self.assertLessEqual(max(calls.mapped("call_date")), fields.Datetime.now(), "no call in the future")

    def test_demo_team_and_blacklist(self):
        """The demo's team leader sees her team's calls (Elena's) and not the other team's (Sergey's);
        the demo's spam caller is imported, marked, and asked nobody to call back."""
        leader = self.demo["leader"]
        elena, sergey = self.line("101").user_id, self.line("103").user_id
        self.assertEqual((elena.login, sergey.login), ("elena", "sergey"))
        seen = self.Call.with_user(leader).search([])
        self.assertTrue(seen.filtered(lambda c: c.user_id == elena), "Elena's calls")
        self.assertEqual(seen.filtered(lambda c: c.direction != "internal").user_id, elena, "only her team's")
        for call in seen.filtered(lambda c: c.direction == "internal"):
            self.assertIn(elena, call.user_id | call.caller_user_id, "an internal call her team placed or answered")
        self.assertTrue(self.Call.search_count([("user_id", "=", sergey.id)]), "Sergey has calls she does not see")
        spam = self.Call.search([("remote_number", "=", self.demo["blacklisted"])])
        self.assertTrue(spam)
        self.assertTrue(all(spam.mapped("blacklisted")))
        self.assertFalse(self.env["mail.activity"].search([("teleum_caller_key", "=", self.demo["blacklisted"])]))

    @unittest.skipUnless(HAS_CHROMIUM, "no Chromium (dev/test installs Debian's chromium package)")
    def test_team_leader_tour(self):
        self.start_tour(CALLS_URL, "teleum_team_leader_tour", login=self.demo["leader"].login, timeout=120)

    @unittest.skipUnless(HAS_CHROMIUM, "no Chromium (dev/test installs Debian's chromium package)")
    def test_roles(self):
        line = self.line("102")
        self.assertFalse(line.user_id)
        ivans = self.Call.search([("sip_id", "=", line.id)])
        self.assertTrue(ivans.filtered("has_recording"), "some calls of line 102 are recorded")
        self.assertFalse(ivans.user_id)
        self.assertFalse(self.Call.with_user(self.ivan).search_count([]), "Ivan sees no call yet")

        self.start_tour(CALLS_URL, "teleum_admin_tour", login="admin", timeout=180)
        self.env.invalidate_all()
        self.assertEqual(line.user_id, self.ivan)
        self.assertEqual(ivans.user_id, self.ivan, "the line's past calls are Ivan's now")
        self.assertEqual(self.Call.with_user(self.ivan).search([]), ivans)

        self.start_tour(CALLS_URL, "teleum_salesperson_tour", login="ivan", timeout=120)
        noted = self.Call.search([("result_id", "!=", False)])
        self.assertEqual(noted.user_id, self.ivan)
        self.assertEqual((noted.result_id, noted.note), (self.env.ref("teleum_telephony.call_result_reached"),
                                                          "Wants a demo on Monday"))
        self.start_tour(CALLS_URL, "teleum_manager_tour", login="manager", timeout=120)
