import shutil
import unittest

from odoo.tests import HttpCase, tagged

from odoo.addons.teleum_telephony.tests.common import TeleumCase
from odoo.addons.teleum_telephony.tools import format_phone


@tagged("post_install", "-at_install")
class TestTourHelpdesk(TeleumCase, HttpCase):
    """In a real browser: a ticket's calls, a recording played on the ticket, a ticket created from a call."""

    @unittest.skipUnless(shutil.which("chromium") or shutil.which("google-chrome") or shutil.which("chromium-browser"),
                         "no Chromium (dev/test installs Debian's chromium package)")
    def test_helpdesk_tour(self):
        self.account.action_sync()
        Call = self.env["teleum.call"]
        recorded = Call.search([("account_id", "=", self.account.id), ("recording_id", "!=", False),
                                ("remote_number", "!=", False)]).filtered(
            lambda c: Call.search_count([("remote_number", "=", c.remote_number)]) > 1)[:1]
        self.assertTrue(recorded, "the sandbox has recorded calls from numbers that called more than once")
        partner = self.env["res.partner"].create({"name": "Tour Customer", "phone": "+" + recorded.remote_number})
        # the customer's calls: the recorded one, and the newest other one the tour opens a ticket from
        calls = Call.search([("partner_id", "=", partner.id)])
        other = (calls - recorded)[:1]
        self.assertTrue(other)
        (calls - recorded - other).partner_id = False
        ticket = self.env["helpdesk.ticket"].create({
            "name": "Tour ticket", "description": "<p>The customer's printer jams.</p>", "partner_id": partner.id})
        self.env.invalidate_all()
        self.assertEqual(ticket.teleum_call_count, 2)
        self.start_tour("/odoo/helpdesk.ticket/%d" % ticket.id, "teleum_helpdesk_tour", login="admin", timeout=120)
        new = self.env["helpdesk.ticket"].search([("id", "!=", ticket.id), ("partner_id", "=", partner.id)])
        self.assertEqual(len(new), 1, "the tour created one ticket from a call")
        self.assertEqual(new.channel_id, self.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_phone"))
        opened_from = (recorded | other).filtered(lambda c: c.sudo().helpdesk_ticket_id == new)
        self.assertEqual(len(opened_from), 1, "the call the tour opened is linked to the new ticket")
        self.assertIn(opened_from, new.teleum_recent_call_ids)
        self.assertIn(format_phone(recorded.remote_number), str(new.description))  # as everywhere
