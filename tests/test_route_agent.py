from datetime import datetime, timedelta

import pytz

from odoo.exceptions import UserError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import html2plaintext

from .common import DEMO_LOGIN, FAST_CLIENT, TeleumCase

OUR_NUMBER, OTHER_NUMBER = "78123232323", "78005553535"
MSK = pytz.timezone("Europe/Moscow")


class RouteCase(TeleumCase):
    """Sam (line 103) and Anna (line 102) are agents; Nora has no line; Max is a telephony manager."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account.action_sync()
        Sip = cls.env["teleum.sip"]
        cls.sam = new_test_user(cls.env, "route_sam", name="Sam Seller", groups="sales_team.group_sale_salesman")
        cls.anna = new_test_user(cls.env, "route_anna", name="Anna Agent", groups="sales_team.group_sale_salesman")
        cls.nolines = new_test_user(cls.env, "route_noline", name="Nora Noline",
                                    groups="sales_team.group_sale_salesman")
        cls.manager = new_test_user(cls.env, "route_manager", name="Max Manager",
                                    groups="teleum_telephony.group_teleum_manager,sales_team.group_sale_manager")
        # (the demo number 812 rings line 101 already: Sam's and Anna's lines are new to it)
        Sip.search([("account_id", "=", cls.account.id), ("num", "=", "101")]).user_id = False
        Sip.search([("account_id", "=", cls.account.id), ("num", "=", "102")]).user_id = cls.anna
        Sip.search([("account_id", "=", cls.account.id), ("num", "=", "103")]).user_id = cls.sam
        cls.anna.partner_id.mobile = "+7 916 555-44-33"
        Number = cls.env["teleum.number"]
        cls.number = Number.search([("account_id", "=", cls.account.id), ("number", "=", OUR_NUMBER)])
        cls.other_number = Number.search([("account_id", "=", cls.account.id), ("number", "=", OTHER_NUMBER)])

    # ------------------------------------------------------------------ helpers
    def wizard(self, record):
        action = record.action_teleum_route_calls()
        return Form(record.env[action["res_model"]].with_context(**action["context"]))

    def live_forwards(self, number):
        state = self.sandbox.state(DEMO_LOGIN)
        return sorted((f for f in state["forwards"] if int(f["nid"]) == int(number.teleum_id) and not f["deleted"]),
                      key=lambda f: (int(f["direction"]), int(f["id"])))

    def add_call(self, src, dst, minutes_ago):
        when = datetime.now(MSK) - timedelta(minutes=minutes_ago)
        self.sandbox.add_call(DEMO_LOGIN, src=src, dst=dst, calldate=when.strftime("%Y-%m-%d %H:%M:%S"),
                              billsecu="30", billsec="00:30", disposition="ANSWERED")



@tagged("post_install", "-at_install")
class TestRouteToAgent(RouteCase):
    """'Route calls to an agent' from a customer's or a lead's form."""

    # ------------------------------------------------------------------ defaults
    def test_agent_defaults(self):
        Partner = self.env["res.partner"]
        # a user's own contact (an employee's card): that user
        self.assertEqual(self.wizard(self.anna.partner_id).agent_id, self.anna)
        # a customer: their salesperson
        customer = Partner.create({"name": "Customer A", "user_id": self.sam.id})
        self.assertEqual(self.wizard(customer).agent_id, self.sam)
        # a contact of a company: the company's salesperson
        company = Partner.create({"name": "ACME", "is_company": True, "user_id": self.anna.id})
        employee = Partner.create({"name": "ACME buyer", "parent_id": company.id})
        self.assertEqual(self.wizard(employee).agent_id, self.anna)
        # nobody looks after the customer: the user who opens the editor
        orphan = Partner.create({"name": "Orphan"})
        self.assertEqual(self.wizard(orphan.with_user(self.manager)).agent_id, self.manager)
        # a lead: its salesperson, unless its contact is a user's contact
        lead = self.env["crm.lead"].create({"name": "Deal", "partner_id": customer.id, "user_id": self.anna.id})
        self.assertEqual(self.wizard(lead).agent_id, self.anna)
        lead.partner_id = self.sam.partner_id
        self.assertEqual(self.wizard(lead).agent_id, self.sam)
        # any user with a SIP line can be chosen (and only those are offered)
        wizard = self.wizard(orphan).save()
        self.assertEqual(wizard.agent_ids, self.sam | self.anna)

    def test_ring_on_defaults_to_the_agents_line_and_mobile_only_when_chosen(self):
        customer = self.env["res.partner"].create({"name": "Customer B", "user_id": self.anna.id,
                                                   "mobile": "+7 916 000-11-22"})
        form = self.wizard(customer)
        form.number_id = self.number
        self.assertEqual((form.ring_on, form.target_kind, form.target), ("sip", "sip", "102"))
        form.ring_on = "mobile"
        self.assertEqual((form.target_kind, form.target), ("phone", "79165554433"), "Anna's mobile")
        form.ring_on = "customer"
        self.assertEqual(form.target, "79160001122", "the customer's own phone, when chosen")
        # an agent without a line: said so, and nothing is sent
        form.ring_on = "sip"
        form.agent_id = self.nolines
        self.assertFalse(form.target)
        self.assertIn("Nora Noline has no SIP line", form.missing_reason)
        wizard = form.save()
        with self.assertRaisesRegex(UserError, "Nora Noline has no SIP line"):
            wizard.action_apply()
        self.assertEqual(self.sandbox.stats()["requests"].get("editForward", 0), 0)

    def test_number_defaults_to_the_one_last_called(self):
        customer = self.env["res.partner"].create({"name": "Customer C", "phone": "+7 916 777-00-01"})
        self.assertFalse(self.wizard(customer).number_id, "no call yet: the manager chooses")
        self.add_call("79167770001", OUR_NUMBER, minutes_ago=90)
        self.add_call("79167770001", OTHER_NUMBER, minutes_ago=30)
        self.account.action_sync()
        self.assertEqual(self.wizard(customer).number_id, self.other_number)
        lead = self.env["crm.lead"].create({"name": "Lead C", "phone": "+79167770001"})
        self.assertEqual(self.wizard(lead).number_id, self.other_number)

    # ------------------------------------------------------------------ routing
    def test_routes_customer_number_to_agents_sip_line(self):
        customer = self.env["res.partner"].create({"name": "Customer D", "user_id": self.sam.id,
                                                   "phone": "+7 916 777-00-02"})
        self.add_call("79167770002", OUR_NUMBER, minutes_ago=20)
        self.account.action_sync()
        form = self.wizard(customer.with_user(self.manager))
        self.assertEqual((form.agent_id, form.number_id, form.target), (self.sam, self.number, "103"))
        form.position = "first"
        form.timeout = 15
        before = self.live_forwards(self.number)
        form.save().action_apply()
        live = self.live_forwards(self.number)
        self.assertEqual(len(live), len(before) + 1)
        self.assertEqual((str(live[0]["rnum"]), int(live[0]["rtype"]), int(live[0]["rtime"])), ("103", 1, 15),
                         "Teleum rings Sam's line first")
        forward = customer.teleum_forward_ids
        self.assertEqual((forward.target, forward.sip_id.user_id, forward.rings_label),
                         ("103", self.sam, "Sam Seller (SIP 103)"))
        # the form says which of our numbers ring whom, in Teleum's order
        self.env.invalidate_all()
        summary = html2plaintext(customer.teleum_routing_summary)
        self.assertTrue(summary.startswith("%s → Sam Seller (SIP 103), then " % self.number.display_name), summary)
        self.assertEqual(customer.teleum_routing_forward_ids.number_id, self.number)
        # Anna too, after the others; then removed again from the customer's form
        form = self.wizard(customer.with_user(self.manager))
        form.agent_id = self.anna
        form.position = "last"
        form.save().action_apply()
        self.assertIn("102", [str(f["rnum"]) for f in self.live_forwards(self.number)])
        self.env.invalidate_all()
        summary = html2plaintext(customer.teleum_routing_summary)
        self.assertIn(", then Anna Agent (SIP 102)", summary)
        annas = customer.teleum_routing_forward_ids.filtered(lambda f: f.target == "102")
        annas.with_user(self.manager).action_teleum_remove()
        self.assertNotIn("102", [str(f["rnum"]) for f in self.live_forwards(self.number)])
        self.env.invalidate_all()
        self.assertNotIn("Anna", html2plaintext(customer.teleum_routing_summary))

    def test_routes_from_a_lead(self):
        lead = self.env["crm.lead"].create({"name": "Unknown caller", "phone": "+7 916 777-00-03",
                                            "user_id": self.anna.id})
        form = self.wizard(lead)
        form.number_id = self.other_number
        self.assertEqual(form.target, "102")
        form.save().action_apply()
        forward = self.env["teleum.forward"].search([("lead_id", "=", lead.id)])
        self.assertEqual((forward.target, forward.number_id), ("102", self.other_number))
        self.assertIn("102", [str(f["rnum"]) for f in self.live_forwards(self.other_number)])
        self.env.invalidate_all()
        summary = html2plaintext(lead.teleum_routing_summary)
        self.assertIn("%s → " % self.other_number.display_name, summary)
        self.assertIn("Anna Agent (SIP 102)", summary)


@tagged("post_install", "-at_install")
class TestRouteWizard(RouteCase):
    """What the wizard says before and after, where it puts the forward, and a failure half-way."""

    def setUp(self):
        super().setUp()
        # each test starts from what Teleum has (an earlier test's forwards stay on the sandbox)
        client = self.account._get_client()
        for number in (self.number, self.other_number):
            self.env["teleum.forward"]._sync_number(number, client)

    def chain(self, number):
        """Odoo's forwards of ``number`` in order, and Teleum's: (type id, target) each."""
        forwards = self.env["teleum.forward"].search([("number_id", "=", number.id)])
        odoo = [(f.type_id.teleum_id, f.target) for f in forwards]
        teleum = [(str(f["rtype"]), str(f["rnum"])) for f in self.live_forwards(number)]
        return odoo, teleum

    def test_says_what_changes_and_rings_first_by_default(self):
        customer = self.env["res.partner"].create({"name": "Customer E", "user_id": self.sam.id})
        form = self.wizard(customer.with_user(self.manager))
        form.number_id = self.number
        self.assertEqual(form.position, "first")
        self.assertEqual(form.title, "Route calls to %s to Sam Seller (SIP 103)" % self.number.display_name)
        impact = html2plaintext(form.impact)
        self.assertIn("Every caller of %s is routed, not only Customer E." % self.number.display_name, impact)
        current = self.env["teleum.forward"].search([("number_id", "=", self.number.id)])
        self.assertIn("Rings now: %s" % ", then ".join(current.mapped("rings_label")), impact)
        others = current.filtered(lambda f: f.target != "103").mapped("rings_label")
        self.assertIn("Rings after: %s" % ", then ".join(["Sam Seller (SIP 103)", *others]), impact)
        result = form.save().action_apply()
        self.assertEqual(result["params"]["type"], "success")
        self.assertIn("Calls to %s now ring Sam Seller (SIP 103), then " % self.number.display_name,
                      result["params"]["message"])
        self.assertEqual(str(self.live_forwards(self.number)[0]["rnum"]), "103")
        self.assertIn("now ring Sam Seller (SIP 103)", html2plaintext(customer.message_ids[0].body),
                      "noted on the customer")

    def test_opens_titled_by_the_number_and_agent(self):
        customer = self.env["res.partner"].create({"name": "Customer H", "user_id": self.sam.id,
                                                   "phone": "+7 916 777-00-09"})
        self.add_call("79167770009", OUR_NUMBER, minutes_ago=10)
        self.account.action_sync()
        action = customer.with_user(self.manager).action_teleum_route_calls()
        self.assertEqual(action["name"], "Route calls to %s to Sam Seller (SIP 103)" % self.number.display_name)

    def test_last_rings_before_the_answering_machine(self):
        machine = self.env["teleum.forward"].search([("number_id", "=", self.number.id),
                                                     ("type_id.kind", "=", "email")])
        self.assertTrue(machine, "the demo number 812 ends on its answering machine")
        customer = self.env["res.partner"].create({"name": "Customer F", "user_id": self.anna.id})
        form = self.wizard(customer.with_user(self.manager))
        form.number_id = self.number
        form.position = "last"
        impact = html2plaintext(form.impact)
        self.assertIn("Anna Agent (SIP 102), then %s" % machine[0].rings_label, impact)
        form.save().action_apply()
        live = [str(f["rnum"]) for f in self.live_forwards(self.number)]
        self.assertLess(live.index("102"), live.index(machine[0].target),
                        "Teleum rings Anna before the answering machine, which ends the chain")
        odoo, teleum = self.chain(self.number)
        self.assertEqual(odoo, teleum)

    def test_manager_without_email_routes_and_odoo_follows_teleum_after_a_failure(self):
        self.use_fast_client()
        self.manager.partner_id.email = False
        customer = self.env["res.partner"].create({"name": "Customer G", "user_id": self.sam.id})
        form = self.wizard(customer.with_user(self.manager))
        form.number_id = self.other_number
        result = form.save().action_apply()
        self.assertEqual(result["params"]["type"], "success", result["params"]["message"])
        self.assertEqual(str(self.live_forwards(self.other_number)[0]["rnum"]), "103")
        self.assertEqual(self.other_number.message_ids[0].author_id, self.manager.partner_id,
                         "the number's chatter says who changed it, with no e-mail address")
        # Teleum takes the new forward, then fails to move it first: Odoo shows what Teleum has
        form = self.wizard(customer.with_user(self.manager))
        form.agent_id = self.anna
        form.number_id = self.other_number
        self.sandbox.inject("error500", "moveForward", count=FAST_CLIENT["retries"] + 1)
        result = form.save().action_apply()
        self.assertEqual(result["params"]["type"], "warning")
        self.assertIn("Teleum took only part of the change", result["params"]["message"])
        self.env.invalidate_all()
        odoo, teleum = self.chain(self.other_number)
        self.assertEqual(odoo, teleum, "Odoo has Teleum's forwards, in Teleum's order")
        self.assertIn("102", [target for _t, target in teleum])
        anna = self.env["teleum.forward"].search([("number_id", "=", self.other_number.id), ("target", "=", "102")])
        self.assertEqual(anna.partner_id, customer, "still listed on the customer's form")
        self.assertIn("Teleum took only part of the change", html2plaintext(customer.message_ids[0].body))
