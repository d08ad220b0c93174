import shutil
import unittest

from odoo.tests import HttpCase, tagged

from .common import TeleumCase


@tagged("post_install", "-at_install")
class TestTour(TeleumCase, HttpCase):
    """In a real browser: a contact's calls, a recording played in place, a number routed to it."""

    @unittest.skipUnless(shutil.which("chromium") or shutil.which("google-chrome") or shutil.which("chromium-browser"),
                         "no Chromium (dev/test installs Debian's chromium package)")
    def test_contact_tour(self):
        self.account.action_sync()
        call = self.env["teleum.call"].search([("account_id", "=", self.account.id), ("recording_id", "!=", False),
                                               ("remote_number", "!=", False)], limit=1)
        self.assertTrue(call, "the sandbox has recorded calls")
        partner = self.env["res.partner"].create({
            "name": "Tour Contact", "phone": "+" + call.remote_number, "mobile": "+7 916 123-45-67",
            "country_id": self.env.ref("base.ru").id,
        })
        # the recorded call among the latest ten shown on the contact
        self.env["teleum.call"].search([("partner_id", "=", partner.id), ("id", "!=", call.id)]).partner_id = False
        self.env.invalidate_all()  # x2many of a new record are cached empty in its creating transaction
        self.assertEqual(partner.teleum_recent_call_ids, call)
        self.start_tour("/odoo/contacts/%d" % partner.id, "teleum_contact_tour", login="admin", timeout=120)
        forward = partner.teleum_forward_ids
        self.assertEqual(len(forward), 1)
        self.assertEqual(forward.target, "79161234567")
        live = [f for f in self.sandbox.state("demo@example.com")["forwards"]
                if str(f["rnum"]) == "79161234567" and not f["deleted"]]
        self.assertEqual(len(live), 1, "the forward was pushed to Teleum")


@tagged("post_install", "-at_install")
class TestTourRussian(TeleumCase, HttpCase):
    """In a real browser, for a user whose language is Russian: menus, calls list and form."""

    @unittest.skipUnless(shutil.which("chromium") or shutil.which("google-chrome") or shutil.which("chromium-browser"),
                         "no Chromium (dev/test installs Debian's chromium package)")
    def test_russian_tour(self):
        self.account.action_sync()
        self.env["res.lang"]._activate_lang("ru_RU")
        self.env["ir.module.module"]._load_module_terms(["teleum_telephony"], ["ru_RU"], overwrite=True)
        self.env.ref("base.user_admin").lang = "ru_RU"
        self.start_tour("/odoo/action-teleum_telephony.teleum_call_action", "teleum_russian_tour",
                        login="admin", timeout=120)
