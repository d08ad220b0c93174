"""A call centre's day (issues 24 and 27.3): team leaders see their teams' calls, internal calls
are both agents', a blacklisted number makes nothing but its calls, a new customer gets the agent
of the first answered call as salesperson, and an unknown caller's missed call asks for one
call-back, closed by a later answered call."""

from datetime import datetime, timedelta

import pytz

from odoo.tests import Form, new_test_user, tagged

from .common import DEMO_LOGIN, TeleumCase

OUR_NUMBER = "78123232323"
MSK = pytz.timezone("Europe/Moscow")


class CallCentreCase(TeleumCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account.action_sync()
        cls.Call = cls.env["teleum.call"]
        cls.callback = cls.env.ref("teleum_telephony.mail_activity_type_call_back")
        groups = "teleum_telephony.group_teleum_own,sales_team.group_sale_salesman"
        cls.agent = new_test_user(cls.env, "cc_agent", groups=groups)
        cls.agent2 = new_test_user(cls.env, "cc_agent2", groups=groups)
        cls.salesman = new_test_user(cls.env, "cc_salesman", groups="sales_team.group_sale_salesman")
        sips = cls.env["teleum.sip"].search([("account_id", "=", cls.account.id)])
        cls.sip101 = sips.filtered(lambda s: s.num == "101")
        cls.sip102 = sips.filtered(lambda s: s.num == "102")
        cls.sip101.user_id = cls.agent
        cls.sip102.user_id = cls.agent2
        cls.number = cls.env["teleum.number"].search([("account_id", "=", cls.account.id), ("number", "=", OUR_NUMBER)])

    def add_call(self, src, dst=OUR_NUMBER, minutes_ago=60, disposition="NO ANSWER", billsec=0, rdr=""):
        when = datetime.now(MSK) - timedelta(minutes=minutes_ago)
        self.sandbox.add_call(DEMO_LOGIN, src=src, dst=dst, calldate=when.strftime("%Y-%m-%d %H:%M:%S"),
                              billsecu=str(billsec), billsec="%02d:%02d" % divmod(billsec, 60),
                              disposition=disposition, rdr=rdr)

    def callbacks(self, record=None, key=None):
        domain = [("activity_type_id", "=", self.callback.id)]
        if record is not None:
            domain += [("res_model", "=", record._name), ("res_id", "=", record.id)]
        if key:
            domain += [("teleum_caller_key", "=", key)]
        return self.env["mail.activity"].search(domain)

    def calls_of(self, key):
        return self.Call.search([("remote_number", "=", key)])


@tagged("post_install", "-at_install")
class TestUnknownCallerCallbacks(CallCentreCase):
    def test_one_callback_per_unknown_caller_closed_by_answered_call(self):
        key = "79161130001"
        self.add_call(key, minutes_ago=50, rdr="Переадресация на: 101")
        self.add_call(key, minutes_ago=45, disposition="BUSY", rdr="Переадресация на: 101")
        self.account.action_sync()
        self.assertEqual(len(self.calls_of(key)), 2)
        self.assertFalse(self.calls_of(key).partner_id or self.calls_of(key).lead_id, "an unknown caller")
        activity = self.callbacks(key=key)
        self.assertEqual(len(activity), 1, "two missed calls, one call-back")
        self.assertEqual((activity.res_model, activity.res_id), ("teleum.number", self.number.id),
                         "held by the number the caller dialled")
        self.assertEqual(activity.user_id, self.agent, "the agent of the line that rang")
        latest = self.calls_of(key).sorted("call_date")[-1]
        self.assertIn(f"/odoo/teleum.call/{latest.id}", str(activity.note), "the call, to make a contact or lead")
        self.assertIn(activity, self.number.activity_ids)
        # another ring in a later sync: still one
        self.add_call(key, minutes_ago=40, rdr="Переадресация на: 101")
        self.account.action_sync()
        self.assertEqual(self.callbacks(key=key), activity)
        # the agent calls back and is answered: done by itself, noted on the number
        self.add_call("101", dst=key, minutes_ago=30, disposition="ANSWERED", billsec=40)
        self.account.action_sync()
        self.assertFalse(activity.exists())
        done = self.env["mail.message"].search([("model", "=", "teleum.number"), ("res_id", "=", self.number.id),
                                                ("mail_activity_type_id", "=", self.callback.id)])
        self.assertTrue(done)

    def test_answered_inbound_call_closes_it_too(self):
        key = "79161130002"
        self.add_call(key, minutes_ago=50, rdr="Переадресация на: 101")
        self.account.action_sync()
        self.assertEqual(len(self.callbacks(key=key)), 1)
        self.add_call(key, minutes_ago=20, disposition="ANSWERED", billsec=12, rdr="Переадресация на: 102")
        self.account.action_sync()
        self.assertFalse(self.callbacks(key=key))

    def test_number_responsible_user_and_no_agent(self):
        """No line rang: the number's responsible user; nobody at all: no call-back."""
        self.add_call("79161130003", minutes_ago=30)
        self.account.action_sync()
        self.assertFalse(self.callbacks(key="79161130003"), "no agent, no responsible user: nobody to ask")
        self.number.callback_user_id = self.salesman
        self.add_call("79161130004", minutes_ago=25)
        self.add_call("79161130005", minutes_ago=20, rdr="Переадресация на: 101")
        self.account.action_sync()
        self.assertEqual(self.callbacks(key="79161130004").user_id, self.salesman)
        self.assertEqual(self.callbacks(key="79161130005").user_id, self.salesman,
                         "the number's responsible user takes its unknown callers")
        self.assertEqual(len(self.callbacks(self.number)), 3, "one per caller on one number (79161130003 too now)")

    def test_creating_a_contact_moves_the_callback(self):
        key = "79161130006"
        self.add_call(key, minutes_ago=30, rdr="Переадресация на: 101")
        self.account.action_sync()
        activity = self.callbacks(key=key)
        self.assertEqual(activity.res_model, "teleum.number")
        call = self.calls_of(key)
        partner = Form(self.env["res.partner"].with_context(**call.action_create_partner()["context"])).save()
        self.assertEqual(call.partner_id, partner)
        self.assertEqual((activity.res_model, activity.res_id), ("res.partner", partner.id),
                         "the call-back follows the caller to the new contact")
        # the contact answers later: closed as any contact's call-back
        self.add_call(key, minutes_ago=5, disposition="ANSWERED", billsec=30, rdr="Переадресация на: 101")
        self.account.action_sync()
        self.assertFalse(activity.exists())

    def test_creating_a_lead_moves_the_callback(self):
        key = "79161130007"
        self.add_call(key, minutes_ago=30, rdr="Переадресация на: 101")
        self.account.action_sync()
        activity = self.callbacks(key=key)
        call = self.calls_of(key)
        lead = self.env["crm.lead"].with_context(**call.action_create_lead()["context"]).create({"name": "New"})
        self.assertEqual((activity.res_model, activity.res_id), ("crm.lead", lead.id))
        # missed again: still one call-back, on the lead
        self.add_call(key, minutes_ago=10, rdr="Переадресация на: 101")
        self.account.action_sync()
        self.assertEqual(self.callbacks(key=key), activity)
        self.assertEqual(self.callbacks(lead), activity)


@tagged("post_install", "-at_install")
class TestBlacklist(CallCentreCase):
    def test_blacklisted_number_makes_nothing_but_its_calls(self):
        self.env.company.teleum_chatter_calls = "missed"
        self.number.write({"auto_lead": True, "lead_user_id": self.salesman.id})
        spam, other = "79161140001", "79161140002"
        partner = self.env["res.partner"].create({"name": "Spammer", "phone": "+" + spam})
        self.env["phone.blacklist"].sudo()._add(["+" + spam])
        self.add_call(spam, minutes_ago=40, rdr="Переадресация на: 101")
        self.add_call(other, minutes_ago=35, rdr="Переадресация на: 101")
        self.account.action_sync()
        spam_call, other_call = self.calls_of(spam), self.calls_of(other)
        self.assertEqual(len(spam_call), 1, "the call is imported")
        self.assertTrue(spam_call.blacklisted)
        self.assertFalse(other_call.blacklisted)
        self.assertEqual(self.Call.search([("blacklisted", "=", True), ("id", "in", (spam_call | other_call).ids)]),
                         spam_call, "the Blacklisted filter")
        self.assertFalse(self.callbacks(partner), "no call-back")
        self.assertFalse(self.callbacks(key=spam))
        self.assertFalse(spam_call.sudo().teleum_note_ids, "no chatter note")
        self.assertTrue(self.callbacks(key=other) or self.callbacks(other_call.lead_id), "the other caller asks")
        # an unknown blacklisted caller gets no automatic lead
        unknown = "79161140003"
        self.env["phone.blacklist"].sudo()._add(["+" + unknown])
        self.add_call(unknown, minutes_ago=30)
        self.account.action_sync()
        self.assertTrue(self.calls_of(unknown).blacklisted)
        self.assertFalse(self.calls_of(unknown).lead_id, "no lead")
        self.assertFalse(self.env["crm.lead"].search([("teleum_phone_key", "=", unknown)]))
        self.assertTrue(other_call.lead_id, "the number asks for leads: the other caller got one")
        # taken off the blacklist: only the next calls change
        self.env["phone.blacklist"].sudo()._remove(["+" + spam])
        self.add_call(spam, minutes_ago=10, rdr="Переадресация на: 101")
        self.account.action_sync()
        first, second = self.calls_of(spam).sorted("call_date")
        self.assertTrue(first.blacklisted, "an imported call stays as it was")
        self.assertFalse(second.blacklisted)
        self.assertEqual(self.callbacks(partner).user_id, self.agent)
        self.assertTrue(second.sudo().teleum_note_ids)
        self.assertFalse(first.sudo().teleum_note_ids)


@tagged("post_install", "-at_install")
class TestSalespersonFromFirstCall(CallCentreCase):
    def test_first_answered_call_gives_the_salesperson(self):
        new = self.env["res.partner"].create({"name": "New customer", "phone": "+79161150001"})
        kept = self.env["res.partner"].create({"name": "Has one", "phone": "+79161150002",
                                               "user_id": self.salesman.id})
        lead = self.env["crm.lead"].create({"name": "Open lead", "phone": "+79161150003", "user_id": False})
        contact_lead = self.env["crm.lead"].create({"name": "Lead of the contact", "partner_id": new.id,
                                                    "user_id": False})
        # a missed call gives nobody; the first answered one (agent2, line 102) does; a later one
        # answered by the other agent changes nothing
        self.add_call("79161150001", minutes_ago=60, rdr="Переадресация на: 101")
        self.add_call("79161150001", minutes_ago=50, disposition="ANSWERED", billsec=30, rdr="Переадресация на: 102")
        self.add_call("79161150001", minutes_ago=40, disposition="ANSWERED", billsec=30, rdr="Переадресация на: 101")
        self.add_call("79161150002", minutes_ago=50, disposition="ANSWERED", billsec=30, rdr="Переадресация на: 102")
        self.add_call("101", dst="79161150003", minutes_ago=45, disposition="ANSWERED", billsec=30)
        self.account.action_sync()
        self.assertEqual(new.user_id, self.agent2, "the agent of the first answered call")
        self.assertEqual(contact_lead.user_id, self.agent2, "the contact's open lead too")
        self.assertEqual(kept.user_id, self.salesman, "an existing salesperson is never replaced")
        self.assertEqual(lead.user_id, self.agent, "an open lead called back by the agent")
        # later calls answered by someone else never replace it
        self.add_call("79161150003", minutes_ago=20, disposition="ANSWERED", billsec=30, rdr="Переадресация на: 102")
        self.account.action_sync()
        self.assertEqual(lead.user_id, self.agent)

    def test_setting_off(self):
        self.env.company.teleum_assign_salesperson = False
        partner = self.env["res.partner"].create({"name": "Nobody's", "phone": "+79161150004"})
        self.add_call("79161150004", minutes_ago=30, disposition="ANSWERED", billsec=30, rdr="Переадресация на: 101")
        self.account.action_sync()
        self.assertEqual(self.calls_of("79161150004").user_id, self.agent)
        self.assertFalse(partner.user_id)

    def test_settings_field(self):
        settings = self.env["res.config.settings"].create({"teleum_assign_salesperson": False})
        settings.execute()
        self.assertFalse(self.env.company.teleum_assign_salesperson)
        self.assertFalse(self.env["res.config.settings"].create({}).teleum_assign_salesperson)


@tagged("post_install", "-at_install")
class TestInternalCalls(CallCentreCase):
    def test_internal_call_is_both_agents(self):
        self.add_call("101", dst="102", minutes_ago=30, disposition="ANSWERED", billsec=4321)
        self.account.action_sync()
        call = self.Call.search([("src", "=", "101"), ("dst", "=", "102"), ("duration", "=", 4321)])
        self.assertEqual(len(call), 1)
        self.assertEqual((call.direction, call.user_id, call.caller_user_id), ("internal", self.agent2, self.agent))
        for user in (self.agent, self.agent2):
            Call = self.Call.with_user(user)
            self.assertIn(call, Call.search([]), f"{user.login} sees it")
            my = Call.search(["|", ("user_id", "=", user.id), ("caller_user_id", "=", user.id)])
            self.assertIn(call, my, "in the 'My calls' filter")
        # counted once, for the agent who answered
        groups = self.Call._read_group([("id", "=", call.id)], ["user_id"], ["__count"])
        self.assertEqual(groups, [(self.agent2, 1)])
        # an outbound call of the line has no "placed by"
        self.assertFalse(self.Call.search([("direction", "!=", "internal"), ("caller_user_id", "!=", False)]))

    def test_my_calls_filter_domain(self):
        """The search view's "My calls" is the own rule's domain (the filter a user clicks)."""
        view = self.env.ref("teleum_telephony.teleum_call_view_search")
        self.assertIn("('caller_user_id', '=', uid)", view.arch)


@tagged("post_install", "-at_install")
class TestTeamCalls(TeleumCase):
    """Team leaders see their own calls and their team members' calls (and recordings), not another team's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        groups = "teleum_telephony.group_teleum_own,sales_team.group_sale_salesman"
        cls.leader = new_test_user(cls.env, "cc_leader",
                                   groups="teleum_telephony.group_teleum_team,sales_team.group_sale_salesman")
        cls.member = new_test_user(cls.env, "cc_member", groups=groups)
        cls.outsider = new_test_user(cls.env, "cc_outsider", groups=groups)
        cls.other_leader = new_test_user(cls.env, "cc_other_leader",
                                         groups="teleum_telephony.group_teleum_team")
        cls.team = cls.env["crm.team"].create({"name": "Team A", "user_id": cls.leader.id,
                                               "member_ids": [(6, 0, cls.member.ids)]})
        cls.team_b = cls.env["crm.team"].create({"name": "Team B", "user_id": cls.other_leader.id,
                                                 "member_ids": [(6, 0, cls.outsider.ids)]})
        Call = cls.env["teleum.call"]
        base = {"account_id": cls.account.id, "company_id": cls.env.company.id, "status": "answered",
                "call_date": "2026-03-02 09:00:00"}
        cls.calls = {}
        for who, user in (("leader", cls.leader), ("member", cls.member), ("outsider", cls.outsider),
                          ("nobody", cls.env["res.users"])):
            cls.calls[who] = Call.create(dict(base, fingerprint=f"team-{who}", user_id=user.id))
        cls.calls["placed"] = Call.create(dict(base, fingerprint="team-placed", direction="internal",
                                               user_id=cls.outsider.id, caller_user_id=cls.member.id))
        Recording = cls.env["teleum.recording"]
        cls.recordings = {who: Recording.create({"account_id": cls.account.id, "company_id": cls.env.company.id,
                                                 "file_id": f"team-{who}", "call_id": call.id})
                          for who, call in cls.calls.items()}
        cls.all_ids = [c.id for c in cls.calls.values()]

    def seen(self, user):
        calls = self.env["teleum.call"].with_user(user).search([("id", "in", self.all_ids)])
        return {who for who, call in self.calls.items() if call in calls}

    def test_leader_sees_the_team_and_not_another_team(self):
        self.assertEqual(self.leader.teleum_team_member_ids, self.member)
        self.assertEqual(self.seen(self.leader), {"leader", "member", "placed"})
        self.assertEqual(self.seen(self.member), {"member", "placed"}, "a member sees his own calls only")
        self.assertEqual(self.seen(self.other_leader), {"outsider", "placed"})
        recordings = self.env["teleum.recording"].with_user(self.leader).search(
            [("id", "in", [r.id for r in self.recordings.values()])])
        self.assertEqual(recordings, self.recordings["leader"] | self.recordings["member"] | self.recordings["placed"],
                         "recordings follow the calls")

    def test_analysis_follows_the_team(self):
        """The calls analysis: the team's answered calls, each once for the agent who answered it
        (the internal call the member placed is counted for its outsider agent, not for the team)."""
        self.env.flush_all()
        domain = [("call_date", "=", "2026-03-02 09:00:00"), ("company_id", "=", self.env.company.id)]
        Report = self.env["teleum.call.report"]
        by_agent = dict(Report.with_user(self.leader)._read_group(domain, ["user_id"], ["__count"]))
        self.assertEqual(by_agent, {self.leader: 1, self.member: 1})
        self.assertEqual(dict(Report.with_user(self.member)._read_group(domain, ["user_id"], ["__count"])),
                         {self.member: 1})
        self.assertEqual(Report._read_group(domain, [], ["__count"])[0][0], 5, "every call once")

    def test_team_changes_apply_at_once(self):
        self.assertNotIn("outsider", self.seen(self.leader))
        self.team.member_ids = [(4, self.outsider.id)]
        self.assertIn("outsider", self.seen(self.leader), "a new member's calls")
        self.team.crm_team_member_ids.filtered(lambda m: m.user_id == self.member).unlink()
        self.assertEqual(self.seen(self.leader), {"leader", "outsider", "placed"})
        self.team.user_id = self.other_leader
        self.assertEqual(self.seen(self.leader), {"leader"}, "no team led any more: own calls")

    def test_group_chain(self):
        own = self.env.ref("teleum_telephony.group_teleum_own")
        team = self.env.ref("teleum_telephony.group_teleum_team")
        everything = self.env.ref("teleum_telephony.group_teleum_user")
        self.assertIn(own, team.implied_ids)
        self.assertIn(team, everything.implied_ids)
        manager = new_test_user(self.env, "cc_all", groups="teleum_telephony.group_teleum_user")
        self.assertEqual(self.seen(manager), set(self.calls), "All Calls sees everything")
