from collections import Counter
from datetime import datetime, timedelta

import pytz

from odoo.exceptions import UserError
from odoo.tests import Form, new_test_user, tagged

from .common import DEMO_LOGIN, TeleumCase

OUR_NUMBER = "78123232323"
MSK = pytz.timezone("Europe/Moscow")


class CrmCase(TeleumCase):
    """The sandbox's calls imported; calls added on the sandbox and the call-backs of a record."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account.action_sync()
        cls.Call = cls.env["teleum.call"]
        cls.callback = cls.env.ref("teleum_telephony.mail_activity_type_call_back")

    def add_call(self, src, dst=OUR_NUMBER, minutes_ago=60, disposition="NO ANSWER", billsec=0, rdr=""):
        when = datetime.now(MSK) - timedelta(minutes=minutes_ago)
        self.sandbox.add_call(DEMO_LOGIN, src=src, dst=dst, calldate=when.strftime("%Y-%m-%d %H:%M:%S"),
                              billsecu=str(billsec), billsec="%02d:%02d" % divmod(billsec, 60),
                              disposition=disposition, rdr=rdr)

    def callbacks(self, record):
        return self.env["mail.activity"].search([
            ("res_model", "=", record._name), ("res_id", "=", record.id), ("activity_type_id", "=", self.callback.id)])


@tagged("post_install", "-at_install")
class TestCrm(CrmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = new_test_user(cls.env, "crm_agent",
                                  groups="teleum_telephony.group_teleum_own,sales_team.group_sale_salesman")
        cls.salesman = new_test_user(cls.env, "crm_salesman", groups="sales_team.group_sale_salesman")
        cls.sip = cls.env["teleum.sip"].search([("account_id", "=", cls.account.id), ("num", "=", "101")])
        cls.sip.user_id = cls.agent
        cls.number = cls.env["teleum.number"].search([("account_id", "=", cls.account.id), ("number", "=", OUR_NUMBER)])

    # ------------------------------------------------------------------ helpers
    def remote_counts(self):
        calls = self.Call.search([("account_id", "=", self.account.id), ("remote_number", "!=", False)])
        return Counter(calls.mapped("remote_number"))

    # ------------------------------------------------------------------ counts
    def test_company_counts_its_contacts_calls(self):
        (key_a, count_a), (key_b, count_b) = self.remote_counts().most_common(2)
        company = self.env["res.partner"].create({"name": "ACME", "is_company": True})
        alice = self.env["res.partner"].create({"name": "Alice", "parent_id": company.id, "phone": "+" + key_a})
        bob = self.env["res.partner"].create({"name": "Bob", "parent_id": company.id})
        bob.mobile = "+" + key_b  # written later: the calls get linked then too
        self.assertEqual(alice.teleum_call_count, count_a)
        self.assertEqual(bob.teleum_call_count, count_b)
        self.assertEqual(company.teleum_call_count, count_a + count_b)
        self.env.invalidate_all()  # non-stored computes are cached for the transaction (a request in real use)
        recent = company.teleum_recent_call_ids
        self.assertEqual(set(recent.partner_id.ids), {alice.id, bob.id})
        self.assertEqual(recent, recent.sorted(lambda c: c.call_date, reverse=True), "newest first")
        action = company.action_teleum_calls()
        self.assertEqual(self.Call.search_count(action["domain"]), count_a + count_b)

    def test_national_format_matches(self):
        key = self.remote_counts().most_common(1)[0][0]
        national = "8 (%s) %s-%s-%s" % (key[1:4], key[4:7], key[7:9], key[9:])
        partner = self.env["res.partner"].create({"name": "Local format", "phone": national,
                                                  "country_id": self.env.ref("base.ru").id})
        self.assertEqual(partner.teleum_call_count, self.remote_counts()[key])

    def test_lead_matched_on_its_phone_numbers(self):
        (key_a, count_a), (key_b, count_b) = self.remote_counts().most_common(2)
        lead = self.env["crm.lead"].create({"name": "Prospect", "phone": "+" + key_a,
                                            "mobile": "8%s" % key_b[1:]})
        self.assertEqual(lead.teleum_call_count, count_a + count_b)
        self.assertEqual(set(lead.teleum_recent_call_ids.mapped("remote_number")), {key_a, key_b})
        self.assertEqual(lead.teleum_phone_key, key_a)
        self.assertEqual(lead.teleum_mobile_key, key_b)
        unlinked = self.Call.search([("remote_number", "=", key_a), ("partner_id", "=", False)])
        self.assertEqual(unlinked.lead_id, lead, "the calls point to the lead")
        action = lead.action_teleum_calls()
        self.assertEqual(self.Call.search_count(action["domain"]), count_a + count_b)
        nobody = self.env["crm.lead"].create({"name": "No phone"})
        self.assertEqual(nobody.teleum_call_count, 0)

    def test_open_or_create_from_call(self):
        call = self.Call.search([("account_id", "=", self.account.id), ("direction", "=", "inbound"),
                                 ("partner_id", "=", False), ("remote_number", "!=", False)], limit=1)
        action = call.action_create_partner()
        self.assertEqual(action["context"]["default_phone"], "+" + call.remote_number)
        partner = Form(self.env["res.partner"].with_context(**action["context"])).save()
        self.assertEqual(call.partner_id, partner, "the new contact gets the caller's calls")
        self.assertEqual(call.action_open_partner()["res_id"], partner.id)
        action = call.action_create_lead()
        lead = self.env["crm.lead"].with_context(**action["context"]).create({"name": "From call"})
        self.assertEqual(lead.phone, "+" + call.remote_number)
        self.assertEqual(lead.teleum_call_count, self.remote_counts()[call.remote_number])

    # ------------------------------------------------------------------ missed calls
    def test_missed_call_activity_once_and_closed_by_answered_call(self):
        partner = self.env["res.partner"].create(
            {"name": "Caller", "mobile": "+79161110001", "user_id": self.salesman.id})
        # two rings, forwarded to line 101 (the agent's): one activity, for the agent
        self.add_call("79161110001", minutes_ago=50, rdr="Переадресация на: 101")
        self.add_call("79161110001", minutes_ago=40, disposition="BUSY", rdr="Переадресация на: 101")
        self.account.action_sync()
        missed = self.Call.search([("remote_number", "=", "79161110001")])
        self.assertEqual(len(missed), 2)
        self.assertTrue(all(missed.mapped("missed")))
        self.assertEqual(missed.partner_id, partner)
        activity = self.callbacks(partner)
        self.assertEqual(len(activity), 1, "once per caller, not once per ring")
        self.assertEqual(activity.user_id, self.agent)
        # another ring in a later sync: still one activity
        self.add_call("79161110001", minutes_ago=30)
        self.account.action_sync()
        self.assertEqual(self.callbacks(partner), activity)
        # a later answered call (here: the agent calling back) closes it by itself
        self.add_call("101", dst="79161110001", minutes_ago=20, disposition="ANSWERED", billsec=65)
        self.account.action_sync()
        self.assertFalse(activity.exists(), "marked done")
        done = self.env["mail.message"].search([("model", "=", "res.partner"), ("res_id", "=", partner.id),
                                                ("mail_activity_type_id", "=", self.callback.id)])
        self.assertTrue(done, "the done activity is in the chatter")
        # a new missed call after that asks again
        self.add_call("79161110001", minutes_ago=10)
        self.account.action_sync()
        self.assertEqual(len(self.callbacks(partner)), 1)

    def test_missed_call_without_agent_goes_to_salesperson(self):
        partner = self.env["res.partner"].create(
            {"name": "Caller 2", "phone": "+79161110002", "user_id": self.salesman.id})
        self.add_call("79161110002", minutes_ago=30)
        self.account.action_sync()
        activity = self.callbacks(partner)
        self.assertEqual(activity.user_id, self.salesman)
        self.assertEqual(activity.activity_type_id, self.callback)

    def test_answered_in_same_sync_asks_nothing(self):
        partner = self.env["res.partner"].create(
            {"name": "Caller 3", "phone": "+79161110003", "user_id": self.salesman.id})
        self.add_call("79161110003", minutes_ago=30)
        self.add_call("79161110003", minutes_ago=20, disposition="ANSWERED", billsec=30)
        self.account.action_sync()
        self.assertFalse(self.callbacks(partner))

    def test_history_creates_no_activities(self):
        old = self.Call.search([("account_id", "=", self.account.id), ("missed", "=", True),
                                ("call_date", "<", datetime.now() - timedelta(days=4))])
        self.assertTrue(old)
        activities = self.env["mail.activity"].search([("activity_type_id", "=", self.callback.id),
                                                       ("res_model", "=", "res.partner"),
                                                       ("res_id", "in", old.partner_id.ids)])
        self.assertFalse(activities)

    # ------------------------------------------------------------------ automatic leads
    def test_automatic_lead_for_unknown_caller(self):
        team = self.env["crm.team"].create({"name": "Phone sales"})
        self.number.write({"auto_lead": True, "lead_team_id": team.id, "lead_user_id": self.salesman.id})
        self.add_call("79161110004", minutes_ago=40)
        self.add_call("79161110004", minutes_ago=35, disposition="ANSWERED", billsec=20)
        # a known contact and another number without the option create no lead
        self.env["res.partner"].create({"name": "Known", "phone": "+79161110005"})
        self.add_call("79161110005", minutes_ago=30)
        self.add_call("79161110006", dst="74951234567", minutes_ago=30)
        Lead = self.env["crm.lead"].with_context(active_test=False)
        before = Lead.search([])
        self.account.action_sync()
        # (the sandbox keeps the calls added by other tests: their unknown callers get leads too)
        created = Lead.search([]) - before
        leads = created.filtered(lambda lead: lead.teleum_phone_key == "79161110004")
        self.assertEqual(len(leads), 1, "one lead per unknown caller of a number with the option")
        self.assertFalse(created.filtered(lambda lead: lead.teleum_phone_key in ("79161110005", "79161110006")),
                         "no lead for a known contact nor for a number without the option")
        self.assertEqual((leads.team_id, leads.user_id), (team, self.salesman))
        self.assertEqual(self.Call.search([("remote_number", "=", "79161110004")]).lead_id, leads)
        self.assertFalse(self.callbacks(leads), "answered afterwards: nothing to call back")
        # the caller calls again: no second lead; a missed call asks the salesperson to call back
        self.add_call("79161110004", minutes_ago=5)
        self.account.action_sync()
        self.assertEqual(Lead.search([("teleum_phone_key", "=", "79161110004")]), leads)
        self.assertEqual(self.callbacks(leads).user_id, self.salesman)
        call = self.Call.search([("remote_number", "=", "79161110004")], limit=1)
        self.assertEqual(call.action_open_lead()["res_id"], leads.id)

    def test_missed_rate(self):
        """The analysis' missed rate is over the calls that could be missed (inbound), per agent and day."""
        Report = self.env["teleum.call.report"]
        domain = [("company_id", "=", self.env.company.id)]
        (rate, count), = Report._read_group(domain, [], ["missed_rate:avg", "__count"])
        inbound = self.Call.search_count([("account_id", "=", self.account.id), ("direction", "=", "inbound")])
        missed = self.Call.search_count([("account_id", "=", self.account.id), ("missed", "=", True)])
        self.assertEqual(count, len(self.calls()))
        self.assertLess(inbound, count, "outbound calls too")
        self.assertAlmostEqual(rate, 100.0 * missed / inbound, places=6)
        for user, day, rate in Report._read_group(domain, ["user_id", "call_date:day"], ["missed_rate:avg"]):
            calls = self.Call.search([("user_id", "=", user.id), ("call_date", ">=", day),
                                      ("call_date", "<", day + timedelta(days=1))])
            inbound = calls.filtered(lambda c: c.direction == "inbound")
            if inbound:
                self.assertAlmostEqual(rate, 100.0 * len(inbound.filtered("missed")) / len(inbound), places=6)
            else:
                self.assertFalse(rate)


@tagged("post_install", "-at_install")
class TestRouteCalls(TeleumCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account.action_sync()
        cls.number = cls.env["teleum.number"].search([("account_id", "=", cls.account.id), ("number", "=", OUR_NUMBER)])

    def live_forwards(self):
        state = self.sandbox.state(DEMO_LOGIN)
        return sorted((f for f in state["forwards"] if int(f["nid"]) == int(self.number.teleum_id)
                       and not f.get("deleted_at") and not int(f.get("deleted") or 0)),
                      key=lambda f: (int(f["direction"]), int(f["id"])))

    def route(self, partner, position, **vals):
        wizard = self.env["teleum.route.calls.wizard"].with_context(
            **partner.action_teleum_route_calls()["context"]).create(dict({"number_id": self.number.id,
                                                                          "position": position}, **vals))
        wizard.action_apply()
        return wizard

    def test_routes_to_the_users_sip_line(self):
        user = new_test_user(self.env, "route_agent", groups="base.group_user")
        sip = self.env["teleum.sip"].search([("account_id", "=", self.account.id), ("num", "=", "103")])
        sip.user_id = user
        wizard = self.route(user.partner_id, "first", timeout=25, record=True)
        self.assertEqual((wizard.target_kind, wizard.target), ("sip", "103"))
        live = self.live_forwards()
        first = live[0]
        self.assertEqual((str(first["rnum"]), int(first["rtype"]), int(first["rtime"])), ("103", 1, 25))
        self.assertTrue(first["rec"])
        forward = user.partner_id.teleum_forward_ids
        self.assertEqual(len(forward), 1)
        self.assertEqual((forward.target, forward.number_id, forward.type_kind), ("103", self.number, "sip"))

    def test_routes_to_the_contacts_mobile_and_replaces(self):
        partner = self.env["res.partner"].create({"name": "Client", "mobile": "8 916 123-45-67",
                                                  "country_id": self.env.ref("base.ru").id})
        wizard = self.route(partner, "last", timeout=15, ring_on="customer")  # never the default: chosen
        self.assertEqual((wizard.target_kind, wizard.target), ("phone", "79161234567"))
        live = self.live_forwards()
        self.assertGreater(len(live), 1)
        # after the forwards that ring, before the answering machine (rtype 3) that ends the chain
        kinds = [(str(f["rnum"]), int(f["rtype"])) for f in live]
        mine = kinds.index(("79161234567", 2))
        self.assertEqual([t for _n, t in kinds[mine + 1:]], [3], kinds)
        self.assertNotIn(3, [t for _n, t in kinds[:mine]], kinds)
        # routing again with 'replace': the number rings only the contact (number masking)
        self.route(partner, "replace", timeout=20, ring_on="customer")
        live = self.live_forwards()
        self.assertEqual([(str(f["rnum"]), int(f["rtime"])) for f in live], [("79161234567", 20)])
        self.assertEqual(len(partner.teleum_forward_ids), 1)
        self.env.invalidate_all()
        self.assertEqual(partner.teleum_routing_forward_ids, partner.teleum_forward_ids, "the number's only forward")
        # removable in place, from the contact form
        partner.teleum_routing_forward_ids.action_teleum_remove()
        self.assertFalse(self.live_forwards())

    def test_contact_without_line_or_phone(self):
        partner = self.env["res.partner"].create({"name": "Nobody"})
        wizard = self.env["teleum.route.calls.wizard"].create({"partner_id": partner.id, "number_id": self.number.id,
                                                               "ring_on": "customer"})
        self.assertFalse(wizard.target)
        with self.assertRaises(UserError):
            wizard.action_apply()
        self.assertEqual(self.sandbox.stats()["requests"].get("editForward", 0), 0)


@tagged("post_install", "-at_install")
class TestMerges(CrmCase):
    """Merging duplicate leads or contacts keeps every call, forward, note and call-back."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = new_test_user(cls.env, "merge_salesman", groups="sales_team.group_sale_salesman")
        cls.other_number = cls.env["teleum.number"].search(
            [("account_id", "=", cls.account.id), ("number", "=", "78005553535")])

    def notes(self, record):
        return self.env["mail.message"].search([("model", "=", record._name), ("res_id", "=", record.id),
                                                ("body", "ilike", "Open the call")])

    def merge_leads(self, leads, user=None):
        """Merge ``leads`` with CRM's wizard (as ``user``, e.g. a salesperson); the lead that stays."""
        env = self.env(user=user) if user else self.env
        wizard = env["crm.merge.opportunity"].with_context(
            active_model="crm.lead", active_ids=leads.ids).create({})
        self.assertEqual(wizard.opportunity_ids.ids, leads.ids)
        wizard.action_merge()
        survivor = leads.exists()
        self.assertEqual(len(survivor), 1)
        self.env.invalidate_all()  # the counts are per request in real use
        return survivor

    def test_merged_leads_keep_calls_forwards_and_one_callback(self):
        Lead = self.env["crm.lead"]
        # the likelier one stays (Odoo keeps the most advanced record); both have a phone: the merged
        # lead's number is lost, its calls are found by their link to the lead
        stays = Lead.create({"name": "Opportunity", "phone": "+79162220001", "probability": 80,
                             "user_id": self.salesman.id})
        goes = Lead.create({"name": "Duplicate", "phone": "+79162220002", "probability": 20,
                            "user_id": self.salesman.id})
        self.add_call("79162220001", minutes_ago=50)
        self.add_call("79162220002", minutes_ago=45)
        self.add_call("79162220002", minutes_ago=40, disposition="ANSWERED", billsec=20)
        self.add_call("79162220002", minutes_ago=30)
        self.account.action_sync()
        mine, theirs = (self.Call.search([("remote_number", "=", n)]) for n in ("79162220001", "79162220002"))
        self.assertEqual((len(mine), len(theirs)), (1, 3))
        self.assertEqual((mine.lead_id, theirs.lead_id), (stays, goes))
        self.assertEqual((len(self.callbacks(stays)), len(self.callbacks(goes))), (1, 1))
        # a number of ours routed from the duplicate's form
        forward = self.env["teleum.forward"].search([("number_id", "=", self.other_number.id)], limit=1)
        forward.lead_id = goes
        self.assertNotIn(forward, stays.teleum_routing_forward_ids)

        # merged by their salesperson, who has no telephony rights: the calls move all the same
        survivor = self.merge_leads(stays | goes, user=self.salesman)
        self.assertEqual(survivor, stays)
        self.assertEqual(survivor.phone, "+79162220001")
        self.assertEqual((mine | theirs).lead_id, survivor, "the calls follow the lead that stays")
        self.assertEqual(survivor.teleum_call_count, 4)
        self.assertEqual(survivor.teleum_recent_call_ids, mine | theirs)
        self.assertEqual(self.Call.search(survivor.action_teleum_calls()["domain"]), mine | theirs)
        self.assertEqual(forward.lead_id, survivor)
        self.assertIn(forward, survivor.teleum_routing_forward_ids)
        self.assertIn(self.other_number.display_name, survivor.teleum_routing_summary)
        callbacks = self.callbacks(survivor)
        self.assertEqual(len(callbacks), 1, "one call-back on the lead that stays, as for one caller")
        # the import still settles it: a later answered call of the lead closes it
        self.add_call("79162220001", minutes_ago=5, disposition="ANSWERED", billsec=30)
        self.account.action_sync()
        self.assertFalse(callbacks.exists())
        self.assertEqual(survivor.teleum_call_count, 5)

    def test_merged_leads_keep_the_notes_of_their_calls(self):
        self.env.company.teleum_chatter_calls = "leads_contacts"
        Lead = self.env["crm.lead"]
        leads = Lead.create([{"name": "Lead %d" % i, "phone": "+7916333000%d" % i} for i in (1, 2, 3)])
        for i in (1, 2, 3):
            self.add_call("7916333000%d" % i, minutes_ago=40 - i, disposition="ANSWERED", billsec=30 + i)
        self.account.action_sync()
        calls = self.Call.search([("remote_number", "in", ["7916333000%d" % i for i in (1, 2, 3)])])
        self.assertEqual(calls.lead_id, leads)
        notes = {lead: self.notes(lead) for lead in leads}
        self.assertTrue(all(len(n) == 1 for n in notes.values()), "one note per call on each lead")
        # two leads merged, then the third merged into the one that stayed
        first = self.merge_leads(leads[0] | leads[1])
        survivor = self.merge_leads(first | leads[2])
        all_notes = notes[leads[0]] | notes[leads[1]] | notes[leads[2]]
        self.assertEqual(self.notes(survivor), all_notes, "every call's note is in the chatter that stays")
        self.assertEqual(calls.sudo().teleum_note_ids, all_notes, "each call still knows its note")
        self.assertEqual(calls.lead_id, survivor)
        self.assertEqual(survivor.teleum_call_count, 3)
        self.account.action_sync()
        self.assertEqual(self.notes(survivor), all_notes, "a later import notes nothing twice")

    def test_merged_contacts_keep_calls_and_one_callback(self):
        Partner = self.env["res.partner"]
        stays = Partner.create({"name": "Client", "phone": "+79164440001", "user_id": self.salesman.id})
        goes = Partner.create({"name": "Client (duplicate)", "mobile": "+79164440002", "user_id": self.salesman.id})
        self.add_call("79164440001", minutes_ago=50)
        self.add_call("79164440002", minutes_ago=40)
        self.add_call("79164440002", minutes_ago=30)
        self.account.action_sync()
        calls = self.Call.search([("remote_number", "in", ["79164440001", "79164440002"])])
        self.assertEqual(len(calls), 3)
        self.assertEqual((len(self.callbacks(stays)), len(self.callbacks(goes))), (1, 1))
        wizard = self.env["base.partner.merge.automatic.wizard"].create(
            {"partner_ids": [(6, 0, (stays | goes).ids)], "dst_partner_id": stays.id})
        wizard.action_merge()
        self.assertFalse(goes.exists())
        self.env.invalidate_all()
        self.assertEqual(calls.partner_id, stays)
        self.assertEqual(stays.mobile, "+79164440002", "Odoo keeps the number the contact that stays lacked")
        self.assertEqual(stays.teleum_call_count, 3)
        self.assertEqual(stays.teleum_recent_call_ids, calls)
        callbacks = self.callbacks(stays)
        self.assertEqual(len(callbacks), 1)
        self.add_call("79164440002", minutes_ago=5, disposition="ANSWERED", billsec=30)
        self.account.action_sync()
        self.assertFalse(callbacks.exists(), "the import closes it on either number")
