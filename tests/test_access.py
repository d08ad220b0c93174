from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import SECOND_LOGIN, SECOND_PASSWORD, TeleumCase


@tagged("post_install", "-at_install")
class TestAccess(TeleumCase):
    """Rights per group and per company; a refused write never reaches Teleum."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account._sync_all(parts=("config", "calls", "balance"))
        cls.company2 = cls.env["res.company"].create({"name": "Other company",
                                                      "country_id": cls.env.ref("base.ru").id})
        cls.account2 = cls.env["teleum.account"].create({
            "name": "Other", "company_id": cls.company2.id, "api_url": cls.sandbox.url,
            "login": SECOND_LOGIN, "password": SECOND_PASSWORD, "history_months": 1,
        })
        cls.account2._sync_all(parts=("config", "calls", "balance"))
        company = cls.env.company
        cls.user = new_test_user(cls.env, "tel_user", groups="teleum_telephony.group_teleum_user",
                                 company_id=company.id, company_ids=[(6, 0, company.ids)])
        cls.own = new_test_user(cls.env, "tel_own", groups="teleum_telephony.group_teleum_own",
                                company_id=company.id, company_ids=[(6, 0, company.ids)])
        cls.manager = new_test_user(cls.env, "tel_manager", groups="teleum_telephony.group_teleum_manager",
                                    company_id=company.id, company_ids=[(6, 0, company.ids)])
        cls.forward = cls.env["teleum.forward"].search([("account_id", "=", cls.account.id)], limit=1)
        cls.sip = cls.env["teleum.sip"].search([("account_id", "=", cls.account.id)], limit=1)

    def test_groups_chain(self):
        manager = self.env.ref("teleum_telephony.group_teleum_manager")
        admin = new_test_user(self.env, "tel_admin", groups="base.group_system")
        self.assertTrue(admin.has_group("teleum_telephony.group_teleum_manager"))
        self.assertTrue(self.manager.has_group("teleum_telephony.group_teleum_user"))
        self.assertFalse(self.user.has_group("teleum_telephony.group_teleum_manager"))
        self.assertIn(manager, self.env.ref("base.group_system").implied_ids)

    def test_user_cannot_change_forwards_even_by_rpc(self):
        for user in (self.user, self.own):
            Forward = self.env["teleum.forward"].with_user(user)
            forward = Forward.browse(self.forward.id)
            self.assertTrue(forward.target, "users see the forwards")
            vals = {"number_id": forward.number_id.id, "type_id": forward.type_id.id, "target": forward.target,
                    "timeout": 20, "callerid_type_id": forward.callerid_type_id.id}
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    forward.write({"timeout": 11})
                with self.assertRaises(AccessError):
                    Forward.create(vals)
                with self.assertRaises(AccessError):
                    forward.unlink()
                with self.assertRaises(AccessError):
                    forward.action_move_up()
                with self.assertRaises(AccessError):
                    forward._teleum_place("first")
                with self.assertRaises(AccessError):
                    self.env["teleum.sip"].with_user(user).browse(self.sip.id).write({"description": "x"})
                with self.assertRaises(AccessError):
                    self.env["teleum.sip"].with_user(user).browse(self.sip.id).write(
                        {"new_password": "Str0ngSipPass"})
                with self.assertRaises(AccessError):
                    self.env["teleum.get.number.wizard"].with_user(user)._action_start(self.account)
        self.assertEqual(self.sandbox.stats()["total"], 0, "nothing reached Teleum")

    def test_manager_changes_forwards(self):
        forward = self.env["teleum.forward"].with_user(self.manager).browse(self.forward.id)
        new = 11 if forward.timeout != 11 else 12
        forward.write({"timeout": new})
        self.assertEqual(forward.timeout, new)
        self.assertEqual(self.sandbox.stats()["requests"].get("editForward"), 1)
        self.assertEqual(self.forward.number_id.message_ids[:1].author_id, self.manager.partner_id)

    def test_credentials_for_administrators_only(self):
        account = self.account.with_user(self.manager)
        self.assertTrue(account.name)
        with self.assertRaises(AccessError):
            account.password  # noqa: B018
        with self.assertRaises(AccessError):
            account.login  # noqa: B018
        with self.assertRaises(AccessError):
            account.write({"password": "x"})
        sip = self.env["teleum.sip"].with_user(self.manager).browse(self.sip.id)
        self.assertFalse(sip.new_password, "the SIP password is write-only")

    def test_companies_are_isolated(self):
        self.assertTrue(self.env["teleum.call"].search([("account_id", "=", self.account2.id)]))
        for user in (self.user, self.manager):
            env = self.env(user=user)
            with self.subTest(user=user.login):
                self.assertEqual(env["teleum.account"].search([]), self.account)
                for model in ("teleum.number", "teleum.forward", "teleum.sip", "teleum.call", "teleum.recording",
                              "teleum.connected.tariff", "teleum.forward.type"):
                    self.assertFalse(env[model].search([("account_id", "=", self.account2.id)]), model)
                    self.assertTrue(env[model].search([]), model)
                with self.assertRaises(AccessError):
                    env["teleum.account"].browse(self.account2.id).name  # noqa: B018
        other_forward = self.env["teleum.forward"].search([("account_id", "=", self.account2.id)], limit=1)
        self.sandbox.reset_stats()
        with self.assertRaises(AccessError):
            self.env["teleum.forward"].with_user(self.manager).browse(other_forward.id).write({"timeout": 9})
        with self.assertRaises(AccessError):
            self.env["teleum.forward"].with_user(self.manager).create({
                "number_id": other_forward.number_id.id, "type_id": other_forward.type_id.id,
                "target": other_forward.target, "timeout": 20,
                "callerid_type_id": other_forward.callerid_type_id.id})
        self.assertEqual(self.sandbox.stats()["total"], 0, "nothing reached Teleum")
