from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

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

    def test_salespeople_see_their_calls_and_lines_not_the_pbx(self):
        """Own Calls Only / All Calls: Calls and their own lines; no PBX menu, cost, colleague's e-mail,
        nor a word about sending on a form they cannot change."""
        line = self.env["teleum.sip"].search([("account_id", "=", self.account.id)], limit=1)
        line.user_id = self.own
        ref = self.env.ref
        for user in (self.own, self.user):
            with self.subTest(user=user.login):
                menus = self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()
                self.assertIn(ref("teleum_telephony.menu_teleum_calls").id, menus)
                self.assertIn(ref("teleum_telephony.menu_teleum_my_sips").id, menus)
                for xmlid in ("menu_teleum_pbx", "menu_teleum_config"):  # (their items hang under them)
                    self.assertNotIn(ref("teleum_telephony.%s" % xmlid).id, menus, xmlid)
                env = self.env(user=user)
                with self.assertRaises(AccessError):
                    env["teleum.sip"].browse(line.id).email  # noqa: B018
                tariff = env["teleum.tariff"].search([], limit=1)
                self.assertTrue(tariff, "the configuration sync brought the tariffs")
                with self.assertRaises(AccessError):
                    tariff.monthly_price  # noqa: B018
                with self.assertRaises(AccessError):
                    env["teleum.connected.tariff"].search([], limit=1).cost  # noqa: B018
                with self.assertRaises(AccessError):
                    env["teleum.account"].browse(self.account.id).balance  # noqa: B018
                arch = env["teleum.forward"].get_views([(False, "form")])["views"]["form"]["arch"]
                self.assertNotIn("sent to Teleum", arch)
        mine = self.env.ref("teleum_telephony.teleum_sip_action_mine")
        lines = self.env["teleum.sip"].with_user(self.own).search(safe_eval(mine.domain, {"uid": self.own.id}))
        self.assertEqual(lines, line, "My SIP Lines: his line only")
        arch = self.env["teleum.forward"].with_user(self.manager).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("sent to Teleum", arch, "the manager, who can change it, is told")
