from odoo.tests import tagged

from ..teleum_api import TeleumClient
from .common import DEMO_LOGIN, DEMO_PASSWORD, TeleumCase


@tagged("post_install", "-at_install")
class TestRussianChatter(TeleumCase):
    """What the scheduled syncs write in the chatter is in the company's language, not the system
    user's English ("Teleum Call Forward created", "Error → Connected")."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ru_RU")
        cls.env["ir.module.module"]._load_module_terms(["mail", "teleum_telephony"], ["ru_RU"], overwrite=True)
        cls.env.company.partner_id.lang = "ru_RU"

    def test_scheduled_sync_writes_in_the_companys_language(self):
        self.env["teleum.account"]._cron_sync_config()
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        # a forward added in the Teleum cabinet, read by the next scheduled sync
        client = TeleumClient(DEMO_LOGIN, DEMO_PASSWORD, base_url=self.sandbox.url, timeout=30)
        number = self.env["teleum.number"].search([("account_id", "=", self.account.id), ("teleum_id", "!=", False)],
                                                  limit=1)
        forward = self.env["teleum.forward"].search([("number_id", "=", number.id)], limit=1)
        client.edit_forward(0, type_id=forward.type_id.teleum_id, number_id=number.teleum_id, timeout=20,
                            callerid_type_id=forward.callerid_type_id.teleum_id, target=forward.target,
                            callerid_number_id=None, isolated=False, record=False, vpbx=False, moh=False)
        self.account.sudo().write({"state": "error", "last_error": "Old failure"})
        self.env.cr.precommit.run()  # the tracking a commit writes (this write's, then the cron's)
        self.env["teleum.account"]._cron_sync_config()
        self.env.cr.precommit.run()
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        tracking = self.env["mail.tracking.value"].search(
            [("mail_message_id.model", "=", "teleum.account"), ("mail_message_id.res_id", "=", self.account.id),
             ("field_id.name", "=", "state")], order="id desc", limit=1)
        self.assertEqual((tracking.old_value_char, tracking.new_value_char), ("Ошибка", "Подключено"))
        new = self.env["teleum.forward"].search([("number_id", "=", number.id)], order="id desc", limit=1)
        created = new.message_ids.filtered(lambda m: "Переадресация Телеум" in (m.body or ""))
        self.assertTrue(created, [m.body for m in new.message_ids])
        self.assertNotIn("created", created[0].body)
