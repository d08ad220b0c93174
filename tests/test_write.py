import os

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from ..teleum_api import TeleumClient
from .common import DEMO_LOGIN, DEMO_PASSWORD, TeleumCase


@tagged("post_install", "-at_install")
class TestWrite(TeleumCase):
    """Every write goes to the sandbox first; Odoo shows what the sandbox confirms."""

    def setUp(self):
        super().setUp()
        self.account._sync_all(parts=("config", "balance"))
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        self.sandbox.reset_stats()
        Number = self.env["teleum.number"]
        self.number = Number.search([("account_id", "=", self.account.id), ("number", "=", "78123232323")])
        self.other_number = Number.search([("account_id", "=", self.account.id), ("number", "=", "74951234567")])
        self.assertTrue(self.number.teleum_id)
        types = self.env["teleum.forward.type"].search([("account_id", "=", self.account.id)])
        self.t_sip = types.filtered(lambda t: t.kind == "sip")[:1]
        self.t_phone = types.filtered(lambda t: t.kind == "phone")[:1]
        self.t_mail = types.filtered(lambda t: t.kind == "email")[:1]
        cids = self.env["teleum.callerid.type"].search([("account_id", "=", self.account.id)])
        self.cid_caller = cids.filtered(lambda c: not c.is_own)[:1]
        self.cid_own = cids.filtered("is_own")[:1]
        self.assertTrue(self.t_sip and self.t_phone and self.t_mail and self.cid_caller and self.cid_own)

    # -- helpers ----------------------------------------------------------------
    def teleum_forwards(self, number=None):
        """Live forwards of a number in the sandbox, in Teleum's order."""
        nid = int((number or self.number).teleum_id)
        state = self.sandbox.state(DEMO_LOGIN)
        return sorted((f for f in state["forwards"] if f["nid"] == nid and not f["deleted"]),
                      key=lambda f: (f["direction"], f["id"]))

    def odoo_forwards(self, number=None):
        return self.env["teleum.forward"].search([("number_id", "=", (number or self.number).id)])

    def writes_sent(self):
        requests = self.sandbox.stats()["requests"]
        return {k: v for k, v in requests.items()
                if k in ("editForward", "deleteForward", "moveForward", "editSIP", "deleteSIP", "connectTariff")}

    def phone_vals(self, **kw):
        vals = {"number_id": self.number.id, "type_id": self.t_phone.id, "target": "8 (916) 123-45-67",
                "timeout": 15, "callerid_type_id": self.cid_caller.id}
        vals.update(kw)
        return vals

    def outside_client(self):
        return TeleumClient(DEMO_LOGIN, DEMO_PASSWORD, base_url=self.sandbox.url, timeout=30)

    def assertMirrors(self, number=None):
        """Odoo shows exactly the forwards Teleum has, in the same order."""
        teleum = [(str(f["id"]), f["rnum"], f["rtime"]) for f in self.teleum_forwards(number)]
        odoo = [(f.teleum_id, f.target, f.timeout) for f in self.odoo_forwards(number)]
        self.assertEqual(odoo, teleum)

    def last_message(self, record):
        return record.message_ids.sorted("id")[-1:].body or ""

    # -- forwards ---------------------------------------------------------------
    def test_create_forward_reaches_teleum(self):
        forward = self.env["teleum.forward"].create(self.phone_vals())
        self.assertTrue(forward.teleum_id)
        live = self.teleum_forwards()
        self.assertEqual((str(live[-1]["id"]), live[-1]["rnum"], live[-1]["rtime"]),
                         (forward.teleum_id, "79161234567", 15), "normalised phone, sent to Teleum, goes last")
        self.assertEqual(forward.target, "79161234567")
        self.assertEqual(self.writes_sent(), {"editForward": 1})
        self.assertMirrors()
        self.assertIn("Forward created", self.last_message(self.number))
        self.assertEqual(self.number.message_ids.sorted("id")[-1].author_id, self.env.user.partner_id)

    def test_create_sip_and_mail_forwards(self):
        sip = self.env["teleum.sip"].search([("account_id", "=", self.account.id)], limit=1)
        fwd_sip = self.env["teleum.forward"].create(self.phone_vals(type_id=self.t_sip.id, target=sip.num,
                                                                    timeout=30, record=True))
        fwd_mail = self.env["teleum.forward"].create(self.phone_vals(
            type_id=self.t_mail.id, target=" Office@Example.com ", callerid_type_id=self.cid_own.id,
            callerid_number_id=self.other_number.id))
        self.assertEqual(fwd_sip.sip_id, sip)
        self.assertTrue(fwd_sip.record)
        self.assertEqual(fwd_mail.target, "office@example.com")
        self.assertEqual(fwd_mail.callerid_number_id, self.other_number)
        sent = {str(f["id"]): f for f in self.teleum_forwards()}
        self.assertEqual(sent[fwd_mail.teleum_id]["rcnid"], int(self.other_number.teleum_id))
        self.assertTrue(sent[fwd_sip.teleum_id]["rec"])
        self.assertMirrors()

    def test_validation_sends_nothing(self):
        before = self.teleum_forwards()
        sip_nums = self.env["teleum.sip"].search([("account_id", "=", self.account.id)]).mapped("num")
        bad = [
            self.phone_vals(timeout=4), self.phone_vals(timeout=31), self.phone_vals(timeout=0),
            self.phone_vals(target="12345"), self.phone_vals(target="call me"), self.phone_vals(target=""),
            self.phone_vals(target="+7 916 123-45-67-89-00-11"),
            self.phone_vals(type_id=self.t_sip.id, target="999" if "999" not in sip_nums else "998"),
            self.phone_vals(type_id=self.t_mail.id, target="not-an-email"),
            self.phone_vals(type_id=self.t_mail.id, target="a@b"),
            self.phone_vals(callerid_type_id=self.cid_own.id),
        ]
        for vals in bad:
            with self.subTest(vals=vals), self.assertRaises(ValidationError):
                self.env["teleum.forward"].create(vals)
        forward = self.odoo_forwards()[0]
        with self.assertRaises(ValidationError):
            forward.timeout = 45
        with self.assertRaises(ValidationError):
            forward.write({"type_id": self.t_phone.id, "target": "not a number"})
        self.assertEqual(self.writes_sent(), {})
        self.assertEqual(self.teleum_forwards(), before)

    def test_edit_forward(self):
        forward = self.odoo_forwards().filtered(lambda f: f.type_id == self.t_phone)[:1]
        self.assertTrue(forward)
        forward.write({"timeout": 25, "target": "+7 (903) 000-11-22", "record": True})
        live = {str(f["id"]): f for f in self.teleum_forwards()}[forward.teleum_id]
        self.assertEqual((live["rtime"], live["rnum"], live["rec"]), (25, "79030001122", True))
        self.assertEqual((forward.timeout, forward.target, forward.record), (25, "79030001122", True))
        self.assertIn("Forward changed", self.last_message(self.number))
        self.assertMirrors()

    def test_local_fields_do_not_reach_teleum(self):
        forward = self.odoo_forwards()[:1]
        partner = self.env["res.partner"].create({"name": "Router"})
        forward.partner_id = partner
        self.number.auto_lead = True
        self.assertEqual(self.sandbox.stats()["total"], 0)
        self.assertEqual(forward.partner_id, partner)

    def test_refusal_leaves_odoo_unchanged(self):
        # Odoo believes line 199 exists; Teleum does not know it and refuses
        self.env["teleum.sip"].with_context(teleum_sync=True).create(
            {"account_id": self.account.id, "num": "199", "teleum_id": "99999"})
        before = self.odoo_forwards()
        with self.assertRaises(UserError) as caught:
            self.env["teleum.forward"].create(self.phone_vals(type_id=self.t_sip.id, target="199"))
        self.assertIn("SIP-линия не найдена", str(caught.exception))
        self.assertEqual(self.odoo_forwards(), before)
        forward = before.filtered(lambda f: f.type_id == self.t_phone)[:1]
        with self.assertRaises(UserError):
            forward.write({"type_id": self.t_sip.id, "target": "199"})
        self.env.invalidate_all()
        self.assertEqual(forward.type_id, self.t_phone)
        self.assertMirrors()

    def test_delete_forward(self):
        forward = self.odoo_forwards()[-1]
        tid = forward.teleum_id
        forward.unlink()
        self.assertNotIn(tid, [str(f["id"]) for f in self.teleum_forwards()])
        self.assertFalse(self.env["teleum.forward"].with_context(active_test=False).search(
            [("teleum_id", "=", tid), ("account_id", "=", self.account.id)]))
        self.assertIn("Forward deleted", self.last_message(self.number))
        self.assertMirrors()

    def test_reorder_by_handle(self):
        """A drag writes the sequences one by one; Teleum gets the moves once, at the end."""
        forwards = self.odoo_forwards()
        self.assertGreaterEqual(len(forwards), 3)
        wanted = list(reversed(forwards))
        for i, forward in enumerate(wanted, 1):  # what /web/dataset/resequence does
            forward.write({"sequence": i})
        self.assertEqual(self.writes_sent(), {}, "nothing is sent before the end of the transaction")
        self.env.cr.flush()
        self.assertEqual([str(f["id"]) for f in self.teleum_forwards()], [f.teleum_id for f in wanted])
        self.assertMirrors()
        self.assertIn("Order of the forwards changed", self.last_message(self.number))

    def test_reorder_from_number_form(self):
        forwards = self.odoo_forwards()
        first, second = forwards[0], forwards[1]
        self.number.write({"forward_ids": [(1, second.id, {"sequence": first.sequence}),
                                           (1, first.id, {"sequence": first.sequence + 1, "timeout": 10}),
                                           (0, 0, self.phone_vals(sequence=0, target="+79160000001"))]})
        self.env.cr.flush()
        ids = [str(f["id"]) for f in self.teleum_forwards()]
        new = self.odoo_forwards().filtered(lambda f: f.target == "79160000001")
        self.assertEqual(ids[:3], [new.teleum_id, second.teleum_id, first.teleum_id])
        self.assertEqual(first.timeout, 10)
        self.assertMirrors()

    def test_move_buttons_and_place(self):
        number = self.env["teleum.number"].search([("account_id", "=", self.account.id),
                                                   ("number", "=", "78005553535")])
        forwards = self.odoo_forwards(number)
        self.assertGreaterEqual(len(forwards), 3)
        last = forwards[-1]
        last.action_move_up()
        self.assertEqual(str(self.teleum_forwards(number)[-2]["id"]), last.teleum_id)
        last._teleum_place("first")
        self.assertEqual(str(self.teleum_forwards(number)[0]["id"]), last.teleum_id)
        self.sandbox.reset_stats()
        last.action_move_up()  # already first: nothing to send
        self.assertEqual(self.writes_sent(), {})
        last._teleum_place("last")
        self.assertEqual(str(self.teleum_forwards(number)[-1]["id"]), last.teleum_id)
        self.assertMirrors(number)
        last._teleum_place("replace")
        self.assertEqual([str(f["id"]) for f in self.teleum_forwards(number)], [last.teleum_id])
        self.assertMirrors(number)

    def test_concurrent_change_on_teleum_is_a_conflict(self):
        forward = self.odoo_forwards().filtered(lambda f: f.type_id == self.t_phone)[:1]
        # someone else (another Odoo, the Teleum cabinet) changes the timeout meanwhile
        self.outside_client().edit_forward(
            forward.teleum_id, type_id=forward.type_id.teleum_id, number_id=self.number.teleum_id, timeout=7,
            callerid_type_id=forward.callerid_type_id.teleum_id, target=forward.target,
            callerid_number_id=forward.callerid_number_id.teleum_id or None, record=forward.record,
            moh=forward.moh)
        self.sandbox.reset_stats()
        with self.assertRaisesRegex(UserError, "changed by someone else"):
            forward.write({"record": not forward.record})
        self.assertEqual(self.writes_sent(), {}, "nothing overwritten")
        live = {str(f["id"]): f for f in self.teleum_forwards()}[forward.teleum_id]
        self.assertEqual(live["rtime"], 7)
        self.number.action_refresh_forwards()
        self.assertEqual(forward.timeout, 7)
        forward.write({"record": not forward.record})  # after a reload the change goes through
        self.assertEqual(live["rtime"], 7)
        self.assertMirrors()

    def test_deleted_on_teleum_meanwhile(self):
        forward = self.odoo_forwards()[0]
        self.outside_client().delete_forward(forward.teleum_id)
        self.sandbox.reset_stats()
        with self.assertRaisesRegex(UserError, "deleted on Teleum"):
            forward.timeout = 12
        self.assertEqual(self.writes_sent(), {})

    def test_two_users_edit_the_same_forward(self):
        """The later writer starts from what the first one saved: both changes are kept."""
        forward = self.odoo_forwards().filtered(lambda f: f.type_id == self.t_phone)[:1]
        other = self.env["res.users"].create({
            "name": "Second manager", "login": "manager2@example.com", "email": "manager2@example.com",
            "groups_id": [(6, 0, [self.env.ref("teleum_telephony.group_teleum_manager").id])]})
        other_env = self.env(user=other)
        forward.write({"timeout": 11})
        other_env["teleum.forward"].browse(forward.id).write({"record": True})
        live = {str(f["id"]): f for f in self.teleum_forwards()}[forward.teleum_id]
        self.assertEqual((live["rtime"], live["rec"]), (11, True))

    def test_concurrent_reorder_is_a_conflict(self):
        forwards = self.odoo_forwards()
        self.outside_client().move_forward(forwards[-1].teleum_id, "up")
        with self.assertRaisesRegex(UserError, "changed on Teleum meanwhile"):
            forwards[0].write({"sequence": forwards[-1].sequence + 1})
            self.env.cr.flush()
        self.assertFalse(self.writes_sent().get("moveForward", 0) > 1)

    def test_lost_reply_but_created(self):
        """The forward was created but the answer broke: Odoo finds it, and never sends it twice."""
        self.sandbox.inject("malformed", "editForward")
        forward = self.env["teleum.forward"].create(self.phone_vals(target="+79165550001"))
        self.assertEqual(self.writes_sent(), {"editForward": 1})
        matches = [f for f in self.teleum_forwards() if f["rnum"] == "79165550001"]
        self.assertEqual(len(matches), 1)
        self.assertEqual(forward.teleum_id, str(matches[0]["id"]))
        self.assertMirrors()

    def test_lost_request_not_created(self):
        self.sandbox.inject("error500", "editForward")
        before = self.teleum_forwards()
        with self.assertRaisesRegex(UserError, "not created"):
            self.env["teleum.forward"].create(self.phone_vals(target="+79165550002"))
        self.assertEqual(self.writes_sent(), {"editForward": 1}, "not sent again")
        self.assertEqual(self.teleum_forwards(), before)

    def test_lost_reply_on_edit_and_delete(self):
        forward = self.odoo_forwards().filtered(lambda f: f.type_id == self.t_phone)[:1]
        self.sandbox.inject("malformed", "editForward")
        forward.timeout = 29
        self.assertEqual(forward.timeout, 29)
        self.sandbox.inject("malformed", "deleteForward")
        tid = forward.teleum_id
        forward.unlink()
        self.assertNotIn(tid, [str(f["id"]) for f in self.teleum_forwards()])
        self.assertEqual(self.writes_sent(), {"editForward": 1, "deleteForward": 1})

    def test_schedule_shown_in_words(self):
        forward = self.odoo_forwards().filtered("schedule")[:1]
        self.assertTrue(forward)
        self.assertRegex(forward.schedule_text, r"\d\d:\d\d-\d\d:\d\d")

    # -- SIP lines ---------------------------------------------------------------
    def test_sip_create_edit_delete(self):
        Sip = self.env["teleum.sip"]
        proposed = Sip.with_context(default_account_id=self.account.id).default_get(["num", "account_id"])["num"]
        self.assertEqual(str(proposed), self.outside_client().get_next_sip())
        owner = self.env["res.users"].create({"name": "Line owner", "login": "owner@example.com"})
        line = Sip.create({"account_id": self.account.id, "email": "New.Line@example.com",
                           "description": "Reception", "new_password": "Str0ngSipPass",
                           "callerid_number_id": self.number.id, "user_id": owner.id})
        self.assertEqual((line.num, line.email, line.user_id), (str(proposed), "new.line@example.com", owner))
        self.assertEqual(line.callerid_number_id, self.number)
        raw = self.sandbox.api.accounts[DEMO_LOGIN].sips[int(line.teleum_id)]
        self.assertEqual((raw["password"], raw["rcid"], raw["descr"]),
                         ("Str0ngSipPass", int(self.number.teleum_id), "Reception"))
        self.assertFalse(line.new_password, "the password is never read back")
        self.env.cr.execute("SELECT column_name FROM information_schema.columns "
                            "WHERE table_name = 'teleum_sip' AND column_name LIKE '%%pass%%'")
        self.assertFalse(self.env.cr.fetchall(), "no column keeps a password")
        line.write({"description": "Front desk", "new_password": "An0therGoodOne"})
        self.assertEqual(raw["password"], "An0therGoodOne")
        self.assertEqual(line.description, "Front desk")
        self.env.cr.execute("SELECT count(*) FROM mail_message WHERE body::text LIKE %s", ["%An0therGoodOne%"])
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.env.cr.execute("SELECT count(*) FROM mail_tracking_value WHERE new_value_char LIKE %s",
                            ["%An0therGoodOne%"])
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.assertIn("password", self.last_message(line))
        # forwards pointing at the line are named before the deletion
        fwd = self.env["teleum.forward"].create(self.phone_vals(type_id=self.t_sip.id, target=line.num))
        with self.assertRaisesRegex(UserError, fwd.display_name):
            line.unlink()
        self.assertIn(int(line.teleum_id), self.sandbox.api.accounts[DEMO_LOGIN].sips)
        wizard = self.env["teleum.sip.delete.wizard"].create({"sip_id": line.id})
        self.assertEqual(wizard.forward_ids, fwd)
        self.assertIn(self.number.display_name, wizard.warning)
        tid = int(line.teleum_id)
        wizard.action_confirm()
        self.assertNotIn(tid, self.sandbox.api.accounts[DEMO_LOGIN].sips)
        self.assertFalse(line.exists())

    def test_sip_validation_sends_nothing(self):
        Sip = self.env["teleum.sip"]
        line = Sip.search([("account_id", "=", self.account.id)], limit=1)
        weak = ["short1", "onlyletters", "1234567890", "password123", "with space 123", "aaaaaaaa11"]
        for password in weak:
            with self.subTest(password=password), self.assertRaises(ValidationError):
                line.new_password = password
            with self.subTest(password=password), self.assertRaises(ValidationError):
                Sip.create({"account_id": self.account.id, "email": "x@example.com", "new_password": password})
        with self.assertRaises(ValidationError):
            line.email = "not an email"
        with self.assertRaises(ValidationError):
            Sip.create({"account_id": self.account.id, "email": "x@example.com"})  # no password
        self.assertEqual(self.writes_sent(), {})

    def test_sip_user_link_is_local(self):
        line = self.env["teleum.sip"].search([("account_id", "=", self.account.id)], limit=1)
        line.user_id = self.env.user
        self.assertEqual(self.sandbox.stats()["total"], 0)

    def test_sip_lost_reply_not_sent_twice(self):
        self.sandbox.inject("malformed", "editSIP")
        line = self.env["teleum.sip"].create({"account_id": self.account.id, "email": "lost@example.com",
                                              "new_password": "L0stReplyPass"})
        self.assertEqual(self.writes_sent(), {"editSIP": 1})
        sips = [s for s in self.sandbox.state(DEMO_LOGIN)["sips"] if s["email"] == "lost@example.com"]
        self.assertEqual(len(sips), 1)
        self.assertEqual(line.teleum_id, str(sips[0]["id"]))

    # -- numbers and tariffs ------------------------------------------------------
    def _wizard_to_numbers(self, tariff_tid):
        Wizard = self.env["teleum.get.number.wizard"]
        action = Wizard._action_start(self.account)
        wizard = Wizard.browse(action["res_id"])
        tariff = self.env["teleum.tariff"].search([("account_id", "=", self.account.id),
                                                   ("teleum_id", "=", tariff_tid)])
        self.assertTrue(tariff.number_required)
        wizard.write({"group_id": tariff.group_id.id, "tariff_id": tariff.id})
        wizard.action_next()
        self.assertEqual(wizard.step, "number")
        return wizard

    def test_get_new_number(self):
        balance = float(self.sandbox.state(DEMO_LOGIN)["balance"])
        wizard = self._wizard_to_numbers("11")  # St Petersburg city number: 0 + 300 a month
        self.assertTrue(wizard.line_ids)
        with self.assertRaises(ValidationError):
            wizard.write({"serie": "abc"})
            wizard.action_search()
        wizard.serie = "+7 (812) 323"
        wizard.action_search()
        self.assertTrue(wizard.line_ids)
        self.assertTrue(all(n.startswith("7812323") for n in wizard.line_ids.mapped("number")))
        line = wizard.line_ids[0]
        line.action_choose()
        self.assertEqual(wizard.step, "confirm")
        # the confirm step names the number (not "teleum.get.number.line,151")
        self.assertRegex(wizard.line_id.display_name, r"^8 \(812\) 323-\d{2}-\d{2}$")
        self.assertEqual((wizard.connect_price, wizard.monthly_price, wizard.balance), (0.0, 300.0, balance))
        self.assertFalse(wizard.insufficient)
        action = wizard.action_connect()
        new = self.env["teleum.number"].browse(action["res_id"])
        self.assertEqual(new.number, line.number)
        self.assertTrue(new.teleum_id)
        self.assertIn(line.number, [n["number"] for n in self.sandbox.state(DEMO_LOGIN)["numbers"]])
        self.assertEqual(self.account.balance, balance - 300)
        self.assertIn("connected", self.last_message(self.account))
        self.assertEqual(self.writes_sent(), {"connectTariff": 1})

    def test_get_number_insufficient_balance(self):
        wizard = self._wizard_to_numbers("15")  # gold Moscow number: far more than the balance
        wizard.line_ids[0].action_choose()
        self.assertTrue(wizard.insufficient)
        with self.assertRaisesRegex(UserError, "does not cover"):
            wizard.action_connect()
        self.assertEqual(self.writes_sent(), {})

    def test_get_number_teleum_refusal(self):
        wizard = self._wizard_to_numbers("11")
        line = wizard.line_ids[0]
        line.action_choose()
        line.teleum_id = "1"  # taken meanwhile: Teleum refuses
        numbers = self.env["teleum.number"].search([])
        with self.assertRaisesRegex(UserError, "Номер занят"):
            wizard.action_connect()
        self.assertEqual(self.env["teleum.number"].search([]), numbers)

    def test_tariff_catalog_and_connected(self):
        self.env["teleum.get.number.wizard"]._action_start(self.account)
        tariffs = self.env["teleum.tariff"].search([("account_id", "=", self.account.id)])
        self.assertTrue(tariffs.filtered(lambda t: t.monthly_price > 0 and t.group_id))
        self.assertTrue(self.number.connected_tariff_ids)

    def test_low_balance_notifies_managers_once(self):
        self.account.low_balance_threshold = 1000000
        Activity = self.env["mail.activity"]
        domain = [("res_model", "=", "teleum.account"), ("res_id", "=", self.account.id)]
        client = self.account._get_client()
        self.account._sync_balance(client)
        first = Activity.search_count(domain)
        self.assertGreater(first, 0)
        self.account._sync_balance(client)
        self.assertEqual(Activity.search_count(domain), first, "not at every sync")
        self.assertTrue(self.account.low_balance_notified)

    # -- safety -------------------------------------------------------------------
    def test_neutralized_database_never_writes(self):
        path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "neutralize.sql")
        with open(path) as fh:
            self.env.cr.execute(fh.read())
        self.env.registry.clear_cache()
        self.env.invalidate_all()
        forward = self.odoo_forwards()[0]
        with self.assertRaisesRegex(UserError, "neutralized"):
            forward.timeout = 12
        with self.assertRaisesRegex(UserError, "neutralized"):
            self.env["teleum.forward"].create(self.phone_vals())
        with self.assertRaisesRegex(UserError, "neutralized"):
            forward.unlink()
        self.env["teleum.account"]._cron_sync_config()
        self.env["teleum.account"]._cron_sync_calls()
        self.account.with_context(active_test=False).action_sync()
        self.assertEqual(self.sandbox.stats()["total"], 0)
