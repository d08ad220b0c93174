"""What another module and an automation rule see of the Teleum import: every record, through the ORM."""

from datetime import datetime, timedelta

import pytz

from odoo.tests import tagged

from odoo.addons.teleum_telephony.tests.common import DEMO_LOGIN, TeleumCase
from odoo.addons.teleum_telephony.tools.sql_create import set_based_refusal

MSK = pytz.timezone("Europe/Moscow")
OUR_NUMBER = "78123232323"


class ExtensionCase(TeleumCase):
    sandbox_options = {"seed": 11, "months": 2, "calls_per_month": 45}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Seen = cls.env["teleum.test.seen"]
        cls.env.company.teleum_chatter_calls = "leads_contacts"
        # callers known as contacts, calling within the call-back window: their calls get notes
        cls.callers = ["7916170000%d" % i for i in range(1, 5)]
        cls.partners = cls.env["res.partner"].create([{"name": "Caller %s" % n, "phone": "+" + n}
                                                      for n in cls.callers])

    def add_recent_calls(self):
        for i, number in enumerate(self.callers):
            for minutes in (30 + i, 300 + i):
                when = datetime.now(MSK) - timedelta(minutes=minutes)
                self.sandbox.add_call(DEMO_LOGIN, src=number, dst=OUR_NUMBER,
                                      calldate=when.strftime("%Y-%m-%d %H:%M:%S"), billsecu="25",
                                      billsec="00:25", disposition="ANSWERED", rdr="")

    def assert_everything_seen(self):
        calls = self.calls()
        self.assertTrue(calls)
        self.assertEqual(self.Seen._seen("teleum.call", "create"), set(calls.ids),
                         "the extension's create() saw every imported call, once")
        self.assertEqual(len(self.Seen.search([("model", "=", "teleum.call"), ("event", "=", "create")])),
                         len(calls))
        recordings = self.env["teleum.recording"].search([("account_id", "=", self.account.id)])
        self.assertTrue(recordings)
        self.assertEqual(self.Seen._seen("teleum.recording", "create"), set(recordings.ids))
        notes = calls.sudo().teleum_note_ids
        self.assertTrue(notes, "recent calls of contacts left chatter notes")
        self.assertLessEqual(set(notes.ids), self.Seen._seen("mail.message", "create"),
                             "every chatter note went through mail.message's create()")
        self.assertEqual(set(notes.mapped("res_id")) & set(self.partners.ids), set(self.partners.ids))


@tagged("post_install", "-at_install")
class TestExtensionSeesImport(ExtensionCase):
    def test_set_based_path_refused(self):
        """With this module installed, nothing of the import may go around the ORM."""
        self.assertIn("overridden", set_based_refusal(self.env["teleum.call"]))
        self.assertIn("overridden", set_based_refusal(self.env["teleum.recording"]))

    def test_first_import(self):
        self.add_recent_calls()
        self.account.action_sync()
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        self.assertEqual(len(self.calls()), self.api_call_total())
        self.assert_everything_seen()

    def test_resumed_import(self):
        self.add_recent_calls()
        with self.small_pages(15):
            remaining = self.account._sync_all(budget=2)
            self.assertTrue(remaining, "the budget stopped the import in the middle of a month")
            partial = len(self.calls())
            self.assertEqual(len(self.Seen.search([("model", "=", "teleum.call"), ("event", "=", "create")])),
                             partial)
            while self.account._sync_all(budget=2):
                pass
        self.assertGreater(len(self.calls()), partial)
        self.assertEqual(len(self.calls()), self.api_call_total())
        self.assert_everything_seen()


@tagged("post_install", "-at_install")
class TestAutomationRule(ExtensionCase):
    def make_rule(self, trigger, event):
        action = self.env["ir.actions.server"].create({
            "name": "Record the call", "model_id": self.env["ir.model"]._get_id("teleum.call"),
            "state": "code", "code": "env['teleum.test.seen']._saw(records, %r)" % event,
        })
        return self.env["base.automation"].create({
            "name": "Teleum call seen (%s)" % trigger, "model_id": self.env["ir.model"]._get_id("teleum.call"),
            "trigger": trigger, "action_server_ids": [(6, 0, action.ids)],
        })

    def test_rule_runs_once_per_imported_call(self):
        self.make_rule("on_create", "rule:create")
        self.add_recent_calls()
        self.account.action_sync()
        calls = self.calls()
        self.assertEqual(len(calls), self.api_call_total())
        runs = self.Seen.search([("model", "=", "teleum.call"), ("event", "=", "rule:create")])
        self.assertEqual(len(runs), len(calls), "once per call")
        self.assertEqual(set(runs.mapped("res_id")), set(calls.ids))

    def test_rule_on_update_sees_a_late_recording(self):
        """A recording listed after its call was imported: the call's change runs the rule."""
        self.account.action_sync()
        Recording = self.env["teleum.recording"]
        paired = Recording.search([("account_id", "=", self.account.id), ("call_id", "!=", False)])
        self.assertTrue(paired)
        call = paired[0].call_id
        # as if the recording had been listed only after the call: unpaired, then paired again
        call.sudo().recording_id = False
        paired[0].sudo().call_id = False
        self.make_rule("on_write", "rule:write")
        paired[0]._link_calls()
        self.assertEqual(call.recording_id, paired[0])
        self.assertIn(call.id, self.Seen._seen("teleum.call", "rule:write"))
