from datetime import datetime, timedelta

import pytz

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import DEMO_LOGIN, TeleumCase

OUR_NUMBER = "78123232323"
MSK = pytz.timezone("Europe/Moscow")


@tagged("post_install", "-at_install")
class TestCallResult(TeleumCase):
    """A result and a short note on a call: by its agent or a manager, in lists, tabs and the note."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.teleum_chatter_calls = "leads_contacts"
        cls.agent = new_test_user(cls.env, "res_agent", name="Rita Agent", groups="teleum_telephony.group_teleum_own")
        cls.colleague = new_test_user(cls.env, "res_colleague", name="Colin Colleague",
                                      groups="teleum_telephony.group_teleum_user")
        cls.manager = new_test_user(cls.env, "res_manager", name="Mona Manager",
                                    groups="teleum_telephony.group_teleum_manager")
        cls.account.action_sync()
        cls.env["teleum.sip"].search([("account_id", "=", cls.account.id), ("num", "=", "101")]).user_id = cls.agent
        cls.customer = cls.env["res.partner"].create({"name": "Result Customer", "phone": "+79161900001"})
        when = datetime.now(MSK) - timedelta(minutes=15)
        cls.sandbox.add_call(DEMO_LOGIN, src="79161900001", dst=OUR_NUMBER, calldate=when.strftime("%Y-%m-%d %H:%M:%S"),
                             billsecu="65", billsec="01:05", disposition="ANSWERED", rdr="Переадресация на: 101")
        cls.account.action_sync()
        cls.call = cls.env["teleum.call"].search([("remote_number", "=", "79161900001")])
        cls.reached = cls.env.ref("teleum_telephony.call_result_reached")

    def note_of(self, record):
        return self.env["mail.message"].search([("model", "=", record._name), ("res_id", "=", record.id),
                                                ("body", "ilike", "data-oe-model=_teleum.call_")])

    def test_seeded_results_and_a_companys_own(self):
        names = self.env["teleum.call.result"].search([]).mapped("name")
        for name in ("Reached", "Call back later", "Wrong number", "No interest"):
            self.assertIn(name, names)
        Result = self.env["teleum.call.result"]
        mine = Result.with_user(self.manager).create({"name": "Sent a quote"})
        self.assertEqual(mine.company_id, self.env.company)
        other = self.env["res.company"].create({"name": "Other company"})
        outsider = new_test_user(self.env, "res_outsider", groups="teleum_telephony.group_teleum_manager",
                                 company_id=other.id, company_ids=[(6, 0, other.ids)])
        seen = Result.with_user(outsider).search([])
        self.assertNotIn(mine, seen, "another company's result is not offered")
        self.assertIn(self.reached, seen, "the seeded ones are every company's")
        with self.assertRaises(AccessError):
            Result.with_user(self.agent).create({"name": "Mine"})
        with self.assertRaises(AccessError):
            self.reached.with_user(self.agent).write({"name": "Got him"})

    def test_agent_and_manager_write_a_result_and_note_shown_in_the_chatter(self):
        self.assertEqual(self.call.user_id, self.agent)
        self.assertEqual(len(self.note_of(self.customer)), 1)
        self.call.with_user(self.agent).write({"result_id": self.reached.id, "note": "Wants a demo on Monday"})
        body = self.note_of(self.customer).body
        self.assertIn("Result: Reached", body)
        self.assertIn("Wants a demo on Monday", body)
        # a colleague who sees all calls cannot write on another's call; a manager can
        with self.assertRaises(AccessError):
            self.call.with_user(self.colleague).write({"note": "Not mine"})
        call_back = self.env.ref("teleum_telephony.call_result_call_back")
        self.call.with_user(self.manager).write({"result_id": call_back.id})
        self.assertIn("Result: Call back later", self.note_of(self.customer).body)
        self.assertEqual(self.call.note, "Wants a demo on Monday")

    def test_filter_and_group_by_result(self):
        self.call.result_id = self.reached
        Call = self.env["teleum.call"].with_user(self.manager)
        self.assertEqual(Call.search([("result_id", "=", self.reached.id)]), self.call)
        groups = Call.read_group([("account_id", "=", self.account.id)], ["result_id"], ["result_id"])
        counts = {g["result_id"][1] if g["result_id"] else False: g["result_id_count"] for g in groups}
        self.assertEqual(counts["Reached"], 1)
        self.assertEqual(counts[False], Call.search_count([("account_id", "=", self.account.id)]) - 1)
        search = self.env["teleum.call"].get_views([(False, "search")])["views"]["search"]["arch"]
        self.assertIn("group_result", search)
        self.assertIn("with_result", search)
