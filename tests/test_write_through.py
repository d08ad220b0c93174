"""The write-through mechanism shared by forwards and SIP lines (teleum.write.through.mixin)."""

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import DEMO_LOGIN, TeleumCase


@tagged("post_install", "-at_install")
class TestWriteThrough(TeleumCase):

    def setUp(self):
        super().setUp()
        self.account._sync_all(parts=("config",))
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        self.use_fast_client()  # one retry
        self.sandbox.reset_stats()
        self.number = self.env["teleum.number"].search(
            [("account_id", "=", self.account.id), ("number", "=", "78123232323")])
        self.t_phone = self.env["teleum.forward.type"].search(
            [("account_id", "=", self.account.id), ("kind", "=", "phone")], limit=1)

    def writes_sent(self):
        by_method = self.sandbox.stats()["requests"]
        return {k: v for k, v in by_method.items() if k in ("editForward", "editSIP")}

    def test_create_when_teleum_cannot_be_read_first(self):
        """The state read before a create fails (read and its retry): the user is told why, nothing
        is sent, nothing is created; the read after it succeeds plays no part."""
        forwards_before = len(self.sandbox.state(DEMO_LOGIN)["forwards"])
        self.sandbox.inject("error500", "getForwards", count=2)
        with self.assertRaisesRegex(UserError, "could not be reached or answered with an error"):
            self.env["teleum.forward"].create({
                "number_id": self.number.id, "type_id": self.t_phone.id, "target": "8 (916) 123-45-67",
                "timeout": 15})
        lines_before = len(self.sandbox.state(DEMO_LOGIN)["sips"])
        self.sandbox.inject("error502", "getSIPs", count=2)
        with self.assertRaisesRegex(UserError, "could not be reached or answered with an error"):
            self.env["teleum.sip"].create({"account_id": self.account.id, "email": "new.line@example.com",
                                           "new_password": "Str0ngSipPass"})
        self.assertEqual(self.writes_sent(), {})
        self.assertEqual(len(self.sandbox.state(DEMO_LOGIN)["forwards"]), forwards_before)
        self.assertEqual(len(self.sandbox.state(DEMO_LOGIN)["sips"]), lines_before)
        self.assertFalse(self.env["teleum.forward"].search([("target", "=", "79161234567")]))
        self.assertFalse(self.env["teleum.sip"].search([("email", "=", "new.line@example.com")]))

    def test_locked_fields_guarded_on_both_models(self):
        """A field only Teleum sets is refused with the same guard, before anything is sent; the value a
        record already has passes (the web client sends some back)."""
        forward = self.env["teleum.forward"].search([("number_id", "=", self.number.id)], limit=1)
        line = self.env["teleum.sip"].search([("account_id", "=", self.account.id)], limit=1)
        with self.assertRaisesRegex(UserError, "of a forward is set by Teleum"):
            forward.write({"teleum_id": "999"})
        with self.assertRaisesRegex(UserError, "of a SIP line is set by Teleum"):
            line.write({"num": "999"})
        forward.write({"account_id": self.account.id})
        line.write({"num": line.num})
        self.assertEqual(self.writes_sent(), {})
        self.assertEqual(self.sandbox.stats()["total"], 0)
