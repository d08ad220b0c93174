from collections import Counter
from datetime import datetime, timedelta

import pytz

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.teleum_telephony.tests.common import DEMO_LOGIN, TeleumCase
from odoo.addons.teleum_telephony.tools import format_phone

OUR_NUMBER = "78123232323"
MSK = pytz.timezone("Europe/Moscow")


@tagged("post_install", "-at_install")
class TestHelpdesk(TeleumCase):
    """With OCA's helpdesk_mgmt installed: calls on tickets, tickets from calls, call-backs, access."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account.action_sync()
        cls.Call = cls.env["teleum.call"]
        cls.Ticket = cls.env["helpdesk.ticket"]
        cls.callback = cls.env.ref("teleum_telephony.mail_activity_type_call_back")
        cls.phone_channel = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_phone")
        # support: all calls, all tickets; agent: own calls on line 101, own tickets
        cls.support = new_test_user(cls.env, "hd_support", name="Support Sveta",
                                    groups="teleum_telephony.group_teleum_user,helpdesk_mgmt.group_helpdesk_user")
        cls.agent = new_test_user(cls.env, "hd_agent", name="Agent Anton",
                                  groups="teleum_telephony.group_teleum_own,helpdesk_mgmt.group_helpdesk_user_own")
        cls.env["teleum.sip"].search([("account_id", "=", cls.account.id), ("num", "=", "101")]).user_id = cls.agent
        cls.number = cls.env["teleum.number"].search([("account_id", "=", cls.account.id),
                                                      ("number", "=", OUR_NUMBER)])
        cls.closed_stage = cls.env["helpdesk.ticket.stage"].search([("closed", "=", True)], limit=1)

    # ------------------------------------------------------------------ helpers
    def remote_counts(self):
        calls = self.Call.search([("account_id", "=", self.account.id), ("remote_number", "!=", False)])
        return Counter(calls.mapped("remote_number"))

    def add_call(self, src, dst=OUR_NUMBER, minutes_ago=60, disposition="NO ANSWER", billsec=0, rdr=""):
        when = datetime.now(MSK) - timedelta(minutes=minutes_ago)
        self.sandbox.add_call(DEMO_LOGIN, src=src, dst=dst, calldate=when.strftime("%Y-%m-%d %H:%M:%S"),
                              billsecu=str(billsec), billsec="%02d:%02d" % divmod(billsec, 60),
                              disposition=disposition, rdr=rdr)

    def callbacks(self, records):
        return self.env["mail.activity"].search([
            ("res_model", "=", records._name), ("res_id", "in", records.ids),
            ("activity_type_id", "=", self.callback.id)])

    def ticket(self, **vals):
        return self.Ticket.create(dict({"name": "Printer jams", "description": "<p>It jams.</p>"}, **vals))

    def recorded_call(self):
        call = self.Call.search([("account_id", "=", self.account.id), ("recording_id", "!=", False),
                                 ("remote_number", "!=", False)], limit=1)
        self.assertTrue(call, "the sandbox has recorded calls")
        call.user_id = self.agent
        return call

    # ------------------------------------------------------------------ calls on a ticket
    def test_ticket_lists_its_contacts_and_its_numbers_calls(self):
        (key_a, count_a), (key_b, count_b) = self.remote_counts().most_common(2)
        company = self.env["res.partner"].create({"name": "ACME", "is_company": True})
        alice = self.env["res.partner"].create({"name": "Alice", "parent_id": company.id, "phone": "+" + key_a})
        ticket = self.ticket(partner_id=company.id)
        self.assertEqual(ticket.teleum_call_count, count_a, "the calls of the contact and of its people")
        ticket.teleum_phone = "8 (%s) %s-%s-%s" % (key_b[1:4], key_b[4:7], key_b[7:9], key_b[9:])
        self.assertEqual(ticket.teleum_phone_key, key_b, "the ticket's phone in national format is matched")
        self.env.invalidate_all()  # non-stored computes are cached for the transaction (a request in real use)
        self.assertEqual(ticket.teleum_call_count, count_a + count_b)
        recent = ticket.teleum_recent_call_ids
        self.assertEqual(set(recent.mapped("remote_number")), {key_a, key_b})
        self.assertEqual(recent, recent.sorted(lambda c: c.call_date, reverse=True), "newest first")
        self.assertIn(alice, recent.partner_id)
        action = ticket.action_teleum_calls()
        self.assertEqual(action["res_model"], "teleum.call")
        self.assertEqual(self.Call.search_count(action["domain"]), count_a + count_b)
        # a ticket of someone else lists none of them
        self.assertEqual(self.ticket(partner_id=self.env["res.partner"].create({"name": "Nobody"}).id)
                         .teleum_call_count, 0)

    # ------------------------------------------------------------------ a ticket from a call
    def test_create_ticket_from_a_recorded_call(self):
        call = self.recorded_call()
        partner = self.env["res.partner"].create({"name": "Caller Ivan", "phone": "+" + call.remote_number})
        self.assertEqual(call.partner_id, partner)
        team = self.env["helpdesk.ticket.team"].create({"name": "Phone support",
                                                        "user_ids": [(6, 0, (self.agent | self.support).ids)]})
        call.number_id.ticket_team_id = team
        action = call.with_user(self.support).action_create_ticket()
        ticket = self.Ticket.browse(action["res_id"])
        self.assertEqual((action["res_model"], action["view_mode"]), ("helpdesk.ticket", "form"))
        self.assertEqual(ticket.partner_id, partner)
        self.assertEqual(ticket.channel_id, self.phone_channel)
        self.assertEqual(ticket.user_id, self.agent, "the call's agent, not whoever clicked")
        self.assertEqual(ticket.team_id, team, "the number's team")
        number = format_phone(call.remote_number)
        self.assertEqual(ticket.teleum_phone, number, "written as everywhere else")
        self.assertTrue(number.startswith("8 ("), number)
        description = str(ticket.description)
        for text in (call.call_date_local, number, call.user_id.name,
                     "/teleum/recording/%d" % call.id):
            self.assertIn(text, description)
        # the call shows its ticket, the ticket lists the call
        self.env.invalidate_all()
        self.assertEqual(call.with_user(self.support).ticket_id, ticket)
        self.assertIn(call, ticket.with_user(self.support).teleum_recent_call_ids)
        self.assertEqual(call.with_user(self.support).action_open_ticket()["res_id"], ticket.id)
        with self.assertRaises(UserError):
            call.with_user(self.support).action_create_ticket()
        self.assertEqual(self.Ticket.search_count([("partner_id", "=", partner.id)]), 1, "no second ticket")

    def test_ticket_of_a_call_without_a_helpdesk_agent_goes_to_who_opens_it(self):
        call = self.recorded_call()
        call.user_id = new_test_user(self.env, "hd_sales", name="Sales Sam", groups="teleum_telephony.group_teleum_own")
        ticket = self.Ticket.browse(call.with_user(self.support).action_create_ticket()["res_id"])
        self.assertEqual(ticket.user_id, self.support)

    def test_ticket_from_an_unknown_caller_lists_the_calls_of_that_number(self):
        key, count = next((k, n) for k, n in self.remote_counts().most_common()
                          if not self.Call.search_count([("remote_number", "=", k), ("partner_id", "!=", False)]))
        call = self.Call.search([("remote_number", "=", key)], limit=1)
        ticket = self.Ticket.browse(call.with_user(self.support).action_create_ticket()["res_id"])
        self.assertFalse(ticket.partner_id)
        self.assertEqual(ticket.teleum_phone_key, key)
        self.assertEqual(ticket.teleum_call_count, count)

    def test_own_calls_user_creates_tickets_from_own_calls_only(self):
        mine, other = self.Call.search([("account_id", "=", self.account.id), ("remote_number", "!=", False)], limit=2)
        mine.user_id = self.agent
        ticket = self.Ticket.browse(mine.with_user(self.agent).action_create_ticket()["res_id"])
        self.assertEqual(ticket.with_user(self.agent).user_id, self.agent)
        with self.assertRaises(AccessError):
            other.with_user(self.agent).action_create_ticket()
        self.assertFalse(other.sudo().helpdesk_ticket_id)

    # ------------------------------------------------------------------ call-backs on tickets
    def test_missed_call_asks_the_tickets_assignee_and_an_answered_call_closes_it(self):
        partner = self.env["res.partner"].create({"name": "Customer", "mobile": "+79161120001",
                                                  "user_id": self.agent.id})
        ticket = self.ticket(partner_id=partner.id, user_id=self.support.id)
        # two rings forwarded to line 101 (the agent's): the ticket's assignee calls back, once
        self.add_call("79161120001", minutes_ago=50, rdr="Переадресация на: 101")
        self.add_call("79161120001", minutes_ago=40, disposition="BUSY", rdr="Переадресация на: 101")
        self.account.action_sync()
        activity = self.callbacks(ticket)
        self.assertEqual(len(activity), 1, "one call-back per caller on the ticket")
        self.assertEqual(activity.user_id, self.support)
        self.assertFalse(self.callbacks(partner), "not on the contact as well")
        self.add_call("79161120001", minutes_ago=30)
        self.account.action_sync()
        self.assertEqual(self.callbacks(ticket), activity, "another ring: still one")
        self.assertFalse(self.callbacks(partner))
        # the agent calls back and is answered: done by itself, in the ticket's chatter
        self.add_call("101", dst="79161120001", minutes_ago=20, disposition="ANSWERED", billsec=65)
        self.account.action_sync()
        self.assertFalse(activity.exists())
        self.assertTrue(self.env["mail.message"].search([("model", "=", "helpdesk.ticket"), ("res_id", "=", ticket.id),
                                                         ("mail_activity_type_id", "=", self.callback.id)]))
        # the ticket closed: a missed call is the contact's matter again
        ticket.stage_id = self.closed_stage
        self.add_call("79161120001", minutes_ago=10)
        self.account.action_sync()
        self.assertFalse(self.callbacks(ticket))
        self.assertEqual(self.callbacks(partner).user_id, self.agent, "the contact's salesperson")

    def test_a_contacts_call_back_opened_before_the_ticket_stays_the_only_one(self):
        partner = self.env["res.partner"].create({"name": "Early caller", "phone": "+79161120002",
                                                  "user_id": self.support.id})
        self.add_call("79161120002", minutes_ago=50)
        self.account.action_sync()
        contact_activity = self.callbacks(partner)
        self.assertEqual(len(contact_activity), 1)
        ticket = self.ticket(partner_id=partner.id, user_id=self.support.id)
        self.add_call("79161120002", minutes_ago=40)
        self.account.action_sync()
        self.assertEqual(self.callbacks(partner), contact_activity)
        self.assertFalse(self.callbacks(ticket), "never both")
        self.add_call("79161120002", minutes_ago=30, disposition="ANSWERED", billsec=12)
        self.account.action_sync()
        self.assertFalse(contact_activity.exists(), "closed by the answered call")
        self.assertFalse(self.callbacks(ticket))

    def test_unassigned_ticket_the_agent_may_not_read_keeps_the_call_back_on_the_contact(self):
        partner = self.env["res.partner"].create({"name": "Unassigned", "phone": "+79161120008"})
        ticket = self.ticket(partner_id=partner.id, user_id=False)
        self.assertFalse(ticket.with_user(self.agent).has_access("read"))
        self.add_call("79161120008", minutes_ago=30, rdr="Переадресация на: 101")
        self.account.action_sync()
        self.assertFalse(self.callbacks(ticket), "the agent's activity list would show the ticket's name")
        self.assertEqual(self.callbacks(partner).user_id, self.agent)

    def test_contact_without_ticket_keeps_the_contact_call_back(self):
        partner = self.env["res.partner"].create({"name": "No ticket", "phone": "+79161120003",
                                                  "user_id": self.support.id})
        self.ticket(partner_id=partner.id, stage_id=self.closed_stage.id)  # a closed one does not count
        self.add_call("79161120003", minutes_ago=30)
        self.account.action_sync()
        self.assertEqual(self.callbacks(partner).user_id, self.support)

    # ------------------------------------------------------------------ tickets for unknown callers
    def test_missed_call_from_unknown_number_opens_one_ticket(self):
        # the agent is in the team: may read its unassigned tickets
        team = self.env["helpdesk.ticket.team"].create({"name": "Phone support", "user_ids": [(4, self.agent.id)]})
        self.number.write({"auto_ticket": True, "ticket_team_id": team.id})
        self.assertEqual(self.number.ticket_channel_id, self.phone_channel, "Phone by default")
        self.add_call("79161120004", minutes_ago=40)
        self.add_call("79161120004", minutes_ago=35, disposition="BUSY", rdr="Переадресация на: 101")
        # answered, known contact, number without the option: no ticket
        self.add_call("79161120005", minutes_ago=30, disposition="ANSWERED", billsec=20)
        self.env["res.partner"].create({"name": "Known", "phone": "+79161120006"})
        self.add_call("79161120006", minutes_ago=30)
        self.add_call("79161120007", dst="74951234567", minutes_ago=30)
        before = self.Ticket.search([])
        self.account.action_sync()
        # (the sandbox keeps the calls other tests added, whose contacts are gone: they get tickets too)
        created = (self.Ticket.search([]) - before).filtered(
            lambda t: t.teleum_phone_key in ("79161120004", "79161120005", "79161120006", "79161120007"))
        self.assertEqual(created.mapped("teleum_phone_key"), ["79161120004"],
                         "one ticket, for the unknown caller's missed calls to the number with the option")
        self.assertEqual((created.team_id, created.channel_id), (team, self.phone_channel))
        self.assertEqual(created.name, "Missed call from 8 (916) 112-00-04")  # numbers as everywhere
        calls = self.Call.search([("remote_number", "=", "79161120004")])
        self.assertEqual(calls.sudo().helpdesk_ticket_id, created)
        self.assertEqual(created.teleum_call_count, 2)
        activity = self.callbacks(created)
        self.assertEqual(len(activity), 1, "the agent the last call rang is asked to call back, on the ticket")
        self.assertFalse(created.user_id, "not assigned to the cron's user")
        self.assertEqual(activity.user_id, self.agent)
        # calls again while the ticket is open: no second ticket
        self.add_call("79161120004", minutes_ago=5)
        self.account.action_sync()
        self.assertEqual(self.Ticket.search([("teleum_phone_key", "=", "79161120004")]), created)
        self.assertEqual(self.callbacks(created), activity)
        # once it is closed, a new missed call opens a new one
        created.stage_id = self.closed_stage
        self.add_call("79161120004", minutes_ago=2)
        self.account.action_sync()
        self.assertEqual(self.Ticket.search_count([("teleum_phone_key", "=", "79161120004")]), 2)

    def test_blacklisted_number_opens_no_ticket(self):
        team = self.env["helpdesk.ticket.team"].create({"name": "Spam-free", "user_ids": [(4, self.agent.id)]})
        self.number.write({"auto_ticket": True, "ticket_team_id": team.id})
        self.env["phone.blacklist"].sudo()._add(["+79161120009"])
        self.add_call("79161120009", minutes_ago=30, rdr="Переадресация на: 101")
        self.add_call("79161120010", minutes_ago=30, rdr="Переадресация на: 101")
        self.account.action_sync()
        spam = self.Call.search([("remote_number", "=", "79161120009")])
        self.assertTrue(spam.blacklisted, "imported, marked")
        self.assertFalse(self.Ticket.search([("teleum_phone_key", "=", "79161120009")]), "no ticket")
        self.assertFalse(spam.sudo().helpdesk_ticket_id)
        self.assertFalse(self.env["mail.activity"].search([("teleum_caller_key", "=", "79161120009")]),
                         "no call-back")
        self.assertTrue(self.Ticket.search([("teleum_phone_key", "=", "79161120010")]), "the other caller's ticket")

    def test_history_opens_no_tickets(self):
        self.env["teleum.number"].search([("account_id", "=", self.account.id)]).auto_ticket = True
        old = self.Call.search([("account_id", "=", self.account.id), ("missed", "=", True),
                                ("partner_id", "=", False), ("call_date", "<", datetime.now() - timedelta(days=4))])
        self.assertTrue(old)
        old._after_import()
        self.assertFalse(old.sudo().helpdesk_ticket_id, "calls older than the call-back window open no ticket")

    # ------------------------------------------------------------------ access
    def test_nothing_of_a_ticket_for_who_may_not_read_it(self):
        call = self.recorded_call()
        partner = self.env["res.partner"].create({"name": "Secret customer", "phone": "+" + call.remote_number})
        ticket = self.Ticket.browse(call.with_user(self.support).action_create_ticket()["res_id"])
        ticket.name = "Confidential complaint"
        # all calls but no helpdesk rights; helpdesk own-tickets user who is not the assignee
        caller_viewer = new_test_user(self.env, "hd_viewer", groups="teleum_telephony.group_teleum_user")
        other_agent = new_test_user(self.env, "hd_other", groups="teleum_telephony.group_teleum_user,"
                                                                  "helpdesk_mgmt.group_helpdesk_user_own")
        for user in (caller_viewer, other_agent):
            as_user = call.with_user(user)
            self.assertFalse(ticket.with_user(user).has_access("read"))
            self.assertFalse(as_user.ticket_id)
            self.assertTrue(as_user.has_ticket, "a second ticket is not offered")
            self.assertEqual(as_user.read(["ticket_id"])[0]["ticket_id"], False)
            web = as_user.web_read({"ticket_id": {"fields": {"display_name": {}}}})
            self.assertFalse(web[0]["ticket_id"])
            for rows in (as_user.search_read([("id", "=", call.id)]),
                         as_user.web_search_read([("id", "=", call.id)], {"ticket_id": {}})["records"]):
                self.assertNotIn("Confidential", str(rows))
            with self.assertRaises(AccessError):
                as_user.read(["helpdesk_ticket_id"])
            with self.assertRaises(UserError):
                as_user.action_open_ticket()
            self.assertNotIn("helpdesk_ticket_id", as_user.fields_get())
        unlinked = self.Call.search([("account_id", "=", self.account.id), ("id", "!=", call.id)], limit=1)
        with self.assertRaises(AccessError):
            unlinked.with_user(caller_viewer).action_create_ticket()  # not a helpdesk user
        self.assertEqual(call.with_user(self.support).ticket_id, ticket)
        self.assertEqual(partner.teleum_call_count, ticket.teleum_call_count)

    def test_helpdesk_user_without_telephony_sees_no_calls(self):
        key = self.remote_counts().most_common(1)[0][0]
        helpdesk_only = new_test_user(self.env, "hd_only", groups="helpdesk_mgmt.group_helpdesk_user")
        ticket = self.ticket(teleum_phone="+" + key)
        self.assertTrue(ticket.teleum_call_count)
        self.env.invalidate_all()
        as_user = ticket.with_user(helpdesk_only)
        self.assertEqual(as_user.teleum_call_count, 0)
        with self.assertRaises(AccessError):
            as_user.read(["teleum_recent_call_ids"])
        self.assertNotIn("teleum_recent_call_ids", as_user.fields_get())

    def test_own_calls_user_sees_only_own_calls_on_a_ticket(self):
        key, count = self.remote_counts().most_common(1)[0]
        ticket = self.ticket(teleum_phone="+" + key, user_id=self.agent.id)
        calls = self.Call.search([("remote_number", "=", key)])
        self.assertGreater(count, 1)
        calls[0].user_id = self.agent
        (calls - calls[0]).user_id = self.support
        self.assertEqual(ticket.with_user(self.support).teleum_call_count, count)
        as_agent = ticket.with_user(self.agent)
        self.assertEqual(as_agent.teleum_call_count, 1)
        self.assertEqual(as_agent.teleum_recent_call_ids, calls[0])

    def test_other_company_calls_are_not_on_a_ticket(self):
        key = self.remote_counts().most_common(1)[0][0]
        other = self.env["res.company"].create({"name": "Other Co"})
        self.support.write({"company_ids": [(4, other.id)]})
        ticket = self.ticket(teleum_phone="+" + key, company_id=other.id)
        as_support = ticket.with_user(self.support).with_context(allowed_company_ids=[other.id])
        self.assertEqual(as_support.teleum_call_count, 0, "the calls are the first company's")
        self.assertTrue(ticket.with_user(self.support).with_context(
            allowed_company_ids=[other.id, self.env.company.id]).teleum_call_count)
