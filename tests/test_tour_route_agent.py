import shutil
import unittest
from datetime import datetime, timedelta

import pytz

from odoo.tests import HttpCase, new_test_user, tagged

from .common import DEMO_LOGIN, TeleumCase

OUR_NUMBER = "78123232323"


@tagged("post_install", "-at_install")
class TestTourRouteAgent(TeleumCase, HttpCase):
    """In a real browser: a customer's number routed to their agent, the call noted on their opportunity."""

    @unittest.skipUnless(shutil.which("chromium") or shutil.which("google-chrome") or shutil.which("chromium-browser"),
                         "no Chromium (dev/test installs Debian's chromium package)")
    def test_route_agent_tour(self):
        self.env.company.teleum_chatter_calls = "leads"
        self.account.action_sync()
        sam = new_test_user(self.env, "tour_sam", name="Sam Seller", groups="sales_team.group_sale_salesman")
        # line 103: not yet among the forwards of the demo number 812
        sip = self.env["teleum.sip"].search([("account_id", "=", self.account.id), ("num", "=", "103")])
        sip.user_id = sam
        customer = self.env["res.partner"].create({"name": "Tour Customer", "phone": "+7 916 170-00-01",
                                                   "user_id": sam.id})
        opportunity = self.env["crm.lead"].create({"name": "Tour Opportunity", "type": "opportunity",
                                                   "partner_id": customer.id, "user_id": sam.id})
        when = datetime.now(pytz.timezone("Europe/Moscow")) - timedelta(minutes=20)
        self.sandbox.add_call(DEMO_LOGIN, src="79161700001", dst=OUR_NUMBER,
                              calldate=when.strftime("%Y-%m-%d %H:%M:%S"), billsecu="95", billsec="01:35",
                              disposition="ANSWERED", rdr="Переадресация на: 103")
        self.account.action_sync()
        self.assertEqual(len(opportunity.message_ids.filtered(lambda m: "Open the call" in m.body)), 1)

        # a telephony manager whose login is no e-mail and who has no address (issue 27)
        max_ = new_test_user(self.env, "tour_max", name="Max Manager", email=False,
                             groups="teleum_telephony.group_teleum_manager,sales_team.group_sale_manager,"
                                    "base.group_partner_manager")
        self.assertFalse(max_.email)
        self.start_tour("/odoo/contacts/%d" % customer.id, "teleum_route_agent_tour", login="tour_max", timeout=120)

        state = self.sandbox.state(DEMO_LOGIN)
        nid = next(n["id"] for n in state["numbers"] if n["number"] == OUR_NUMBER)
        live = sorted((f for f in state["forwards"] if f["nid"] == nid and not f["deleted"]),
                      key=lambda f: int(f["direction"]))
        self.assertEqual(str(live[0]["rnum"]), "103", "Teleum rings Sam's line first on the number the customer called")
        self.assertEqual(customer.teleum_forward_ids.target, "103")
