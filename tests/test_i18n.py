"""The Russian translation is complete and is what Russian-speaking users see.

When this test fails after a code change: run dev/i18n (regenerates i18n/teleum_telephony.pot
and merges it into i18n/ru.po), translate the listed strings in i18n/ru.po, run it again.
"""

import os
from unittest.mock import patch

import polib

from odoo.exceptions import UserError
from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, tagged
from odoo.tools import translate

MODULE = "teleum_telephony"
_walk = os.walk


def _walk_visible(top, *args, **kwargs):
    """os.walk without hidden folders: the checkout holds .venv and .dev (whose addons folder links
    back to the checkout), which Odoo's exporter would otherwise walk, following the links. Nor
    bridges/: the bridge modules there have translations of their own."""
    for root, dirs, files in _walk(top, *args, **kwargs):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("__pycache__", "bridges")]
        yield root, dirs, files


@tagged("post_install", "-at_install")
class TestI18n(TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.po = polib.pofile(os.path.join(get_module_path(MODULE), "i18n", "ru.po"))

    def test_every_string_has_a_russian_translation(self):
        translated = {e.msgid for e in self.po if e.msgstr.strip() and not e.obsolete and "fuzzy" not in e.flags}
        with patch.object(translate.os, "walk", _walk_visible):
            reader = translate.TranslationModuleReader(self.env.cr, modules=[MODULE])
        missing = {}
        for _module, ttype, name, _res_id, source, _value, _comments in reader:
            if source and source not in translated:
                missing.setdefault(source, "%s:%s" % (ttype, name))
        self.assertGreater(len(translated), 300, "i18n/ru.po is loaded")
        self.assertFalse(missing, "%d string(s) have no Russian translation in i18n/ru.po (run dev/i18n, then "
                                  "translate them):\n%s" % (len(missing), "\n".join(
                                      "  %s  (%s)" % (src.replace("\n", "\\n"), where)
                                      for src, where in sorted(missing.items()))))

    def test_placeholders_are_kept(self):
        """Every %(name)s, %s and HTML tag of a msgid is in its msgstr (a broken one raises at runtime)."""
        import re
        pattern = re.compile(r"%\(\w+\)[sd]|%[sd]|</?\w+[^>]*>|\{\w*\}")
        wrong = [e.msgid for e in self.po if e.msgstr
                 and sorted(pattern.findall(e.msgid)) != sorted(pattern.findall(e.msgstr))]
        self.assertFalse(wrong, "placeholders differ between msgid and msgstr: %s" % wrong)

    def test_russian_user_sees_russian(self):
        self.env["res.lang"]._activate_lang("ru_RU")
        self.env["ir.module.module"]._load_module_terms([MODULE], ["ru_RU"], overwrite=True)
        env = self.env(context=dict(self.env.context, lang="ru_RU"))
        status = env["teleum.call"].fields_get(["status"])["status"]
        self.assertEqual(status["string"], "Статус")
        self.assertEqual(dict(status["selection"])["no_answer"], "Без ответа")
        self.assertEqual(env.ref("teleum_telephony.menu_teleum_root").name, "Телефония")
        self.assertEqual(env.ref("teleum_telephony.group_teleum_own").name, "Пользователь: только свои звонки")
        account = env["teleum.account"].create({"name": "Без пароля", "login": False, "password": False})
        with self.assertRaisesRegex(UserError, "Сначала укажите e-mail и пароль Телеум"):
            account._get_client()
        # a string of the Owl field (JS), served to the browser through the web translations
        web = translate.code_translations.get_web_translations(MODULE, "ru_RU")
        self.assertIn("Прослушать запись", [m["string"] for m in web["messages"]])
