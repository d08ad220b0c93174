import json

from odoo.tests import new_test_user, tagged

from .common import TeleumCase


@tagged("post_install", "-at_install")
class TestFeedback(TeleumCase):
    """What a manager is told when a change reached Teleum, and what the screens count."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(cls.env, "fb_manager", name="Fiona Manager", email=False,
                                    groups="teleum_telephony.group_teleum_manager")

    def setUp(self):
        super().setUp()
        self.account._sync_all(parts=("config", "balance"))
        self.number = self.env["teleum.number"].search([("account_id", "=", self.account.id),
                                                        ("number", "=", "78123232323")])

    def notified(self, user, kind="simple_notification"):
        """The bus messages of ``kind`` this transaction sends to ``user`` when it commits."""
        found = []
        for vals in self.env.cr.precommit.data.get("bus.bus.values", []):
            channel, message = json.loads(vals["channel"]), json.loads(vals["message"])
            if message["type"] == kind and channel[1:] == ["res.partner", user.partner_id.id]:
                found.append(message["payload"])
        return found

    def test_changes_that_reached_teleum_are_confirmed(self):
        env = self.env(user=self.manager)
        ftype = env["teleum.forward.type"].search([("account_id", "=", self.account.id), ("kind", "=", "phone")],
                                                  limit=1)
        forward = env["teleum.forward"].create({"number_id": self.number.id, "type_id": ftype.id,
                                                "target": "+7 916 123-45-67", "timeout": 15})
        forward.timeout = 20
        line = env["teleum.sip"].search([("account_id", "=", self.account.id)], limit=1)
        line.description = "Reception desk"
        messages = [(n["type"], n["title"], n["message"]) for n in self.notified(self.manager)]
        self.assertEqual([m[:2] for m in messages], [("success", "Saved on Teleum")] * 3)
        self.assertIn("Forward created on Teleum", messages[0][2])
        self.assertIn("Forward changed on Teleum", messages[1][2])
        self.assertIn("timeout", messages[1][2].lower())
        self.assertIn("SIP line %s changed on Teleum" % line.num, messages[2][2])

    def test_a_requested_sync_refreshes_the_settings_of_who_asked(self):
        admin = self.env.ref("base.user_admin")
        self.account.with_user(admin).action_sync_button()
        for _run in range(10):
            self.env["teleum.account"]._cron_sync_requested()
            if not self.account.sync_requested_at:
                break
        signals = self.notified(admin, "teleum_account_changed")
        self.assertGreaterEqual(len(signals), 2, "each committed batch, and the end")
        self.assertEqual(signals[-1], {"account_id": self.account.id})
        self.assertFalse(self.account.sync_progress, "nothing left to show as running")

    def test_tariffs_come_with_the_configuration(self):
        tariffs = self.env["teleum.tariff"].search([("account_id", "=", self.account.id)])
        self.assertTrue(tariffs.filtered(lambda t: t.monthly_price > 0 and t.group_id),
                        "PBX › Tariffs lists them without the number wizard")

    def test_free_numbers_are_counted_as_shown(self):
        Wizard = self.env["teleum.get.number.wizard"]
        wizard = Wizard.browse(Wizard._action_start(self.account)["res_id"])
        tariff = self.env["teleum.tariff"].search([("account_id", "=", self.account.id), ("teleum_id", "=", "11")])
        wizard.write({"group_id": tariff.group_id.id, "tariff_id": tariff.id})
        wizard.action_next()
        shown = len(wizard.line_ids)
        self.assertGreater(wizard.free_count, shown, "Teleum has more free numbers than one page")
        self.assertEqual(wizard.free_summary, "The first %d of %d free numbers: type a series to narrow them."
                         % (shown, wizard.free_count))
        wizard.serie = "+7 (812) 323"
        wizard.action_search()
        if wizard.free_count <= len(wizard.line_ids):
            self.assertEqual(wizard.free_summary, "%d free numbers." % len(wizard.line_ids))

    def test_a_number_without_forward_offers_one(self):
        number = self.env["teleum.number"].create({"account_id": self.account.id, "number": "78120000000"})
        self.assertEqual(number.forward_count, 0)
        arch = self.env["teleum.number"].with_user(self.manager).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("action_add_forward", arch)
        action = number.action_add_forward()
        self.assertEqual((action["res_model"], action["context"]["default_number_id"]), ("teleum.forward", number.id))
