"""The bridge's Russian translation (i18n/ru.po) is complete and is what Russian-speaking users see.

After changing a string: export the module's template (Odoo's --i18n-export, or
odoo.tools.translate.trans_export in an Odoo shell) to i18n/teleum_telephony_helpdesk.pot, add the
new msgids to i18n/ru.po and translate them.
"""

import os
import re

import polib

from odoo.exceptions import UserError
from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged
from odoo.tools import translate

MODULE = "teleum_telephony_helpdesk"


@tagged("post_install", "-at_install")
class TestI18nHelpdesk(TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.po = polib.pofile(os.path.join(get_module_path(MODULE), "i18n", "ru.po"))

    def test_every_string_has_a_russian_translation(self):
        translated = {e.msgid for e in self.po if e.msgstr.strip() and not e.obsolete and "fuzzy" not in e.flags}
        reader = translate.TranslationModuleReader(self.env.cr, modules=[MODULE])
        missing = sorted({source for _m, _t, _n, _r, source, _v, _c in reader if source and source not in translated})
        self.assertGreater(len(translated), 20, "i18n/ru.po is loaded")
        self.assertFalse(missing, "no Russian translation in the bridge's i18n/ru.po for: %s" % missing)

    def test_placeholders_are_kept(self):
        pattern = re.compile(r"%\(\w+\)[sd]|%[sd]|</?\w+[^>]*>|\{\w*\}")
        wrong = [e.msgid for e in self.po if e.msgstr
                 and sorted(pattern.findall(e.msgid)) != sorted(pattern.findall(e.msgstr))]
        self.assertFalse(wrong, "placeholders differ between msgid and msgstr: %s" % wrong)

    def test_russian_user_sees_russian(self):
        self.env["res.lang"]._activate_lang("ru_RU")
        self.env["ir.module.module"]._load_module_terms(["teleum_telephony", MODULE], ["ru_RU"], overwrite=True)
        env = self.env(context=dict(self.env.context, lang="ru_RU"))
        self.assertEqual(env["teleum.call"].fields_get(["ticket_id"])["ticket_id"]["string"], "Обращение")
        self.assertEqual(env["teleum.number"].fields_get(["auto_ticket"])["auto_ticket"]["string"],
                         "Открывать обращения по пропущенным звонкам")
        arch = env["teleum.call"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("Создать обращение", arch)
        call = env["teleum.call"].new({"remote_number": "79161234567", "status": "no_answer",
                                       "direction": "inbound"})
        self.assertEqual(call._teleum_ticket_values()["name"], "Пропущенный звонок с номера 8 (916) 123-45-67")
        account = env["teleum.account"].create({"name": "RU", "login": False, "password": False})
        call = env["teleum.call"].create({"account_id": account.id, "company_id": env.company.id,
                                          "fingerprint": "i18n", "remote_number": "79161234567"})
        call.action_create_ticket()
        with self.assertRaisesRegex(UserError, "По этому звонку уже открыто обращение"):
            call.action_create_ticket()
