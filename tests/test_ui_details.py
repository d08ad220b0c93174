"""What users see on the PBX screens: values, labels and choices, in English and in Russian."""

import ast
from datetime import datetime, timedelta

import pytz
from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import DEMO_LOGIN, TeleumCase

MODULE = "teleum_telephony"
OUR_NUMBER = "78123232323"
MSK = pytz.timezone("Europe/Moscow")


@tagged("post_install", "-at_install")
class TestUiDetails(TeleumCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account._sync_all(parts=("config", "balance"))
        cls.number = cls.env["teleum.number"].search([("account_id", "=", cls.account.id),
                                                      ("number", "=", OUR_NUMBER)])
        cls.manager = new_test_user(cls.env, "ui_manager", groups="teleum_telephony.group_teleum_manager")

    # ------------------------------------------------------------------ helpers
    def arch(self, model, view_type, user=None):
        """The view ``view_type`` of ``model`` as the web client receives it (for ``user``)."""
        env = self.env(user=user or self.manager)
        return etree.fromstring(env[model].get_views([(False, view_type)])["views"][view_type]["arch"])

    @staticmethod
    def options(node):
        return ast.literal_eval(node.get("options") or "{}")

    def russian(self):
        """Russian activated for this test, with the addon's translations (i18n/ru.po)."""
        self.env["res.lang"]._activate_lang("ru_RU")
        self.env["ir.module.module"]._load_module_terms([MODULE], ["ru_RU"], overwrite=True)
        return self.env(context=dict(self.env.context, lang="ru_RU"))

    def add_call(self, src, dst=OUR_NUMBER, minutes_ago=30, disposition="NO ANSWER", billsec=0):
        when = datetime.now(MSK) - timedelta(minutes=minutes_ago)
        self.sandbox.add_call(DEMO_LOGIN, src=src, dst=dst, calldate=when.strftime("%Y-%m-%d %H:%M:%S"),
                              billsecu=str(billsec), billsec="%02d:%02d" % divmod(billsec, 60),
                              disposition=disposition, rdr="")

    def a_call(self, fingerprint, **vals):
        return self.env["teleum.call"].create(dict({
            "account_id": self.account.id, "company_id": self.account.company_id.id,
            "fingerprint": "ui-" + fingerprint, "call_date": datetime(2026, 3, 2, 9, 0), "status": "answered",
            "disposition": "ANSWERED", "direction": "inbound", "remote_number": "78123232323"}, **vals))

    # ------------------------------------------------------------------ numbers
    def test_numbers_are_not_typed_in(self):
        """Numbers › New is gone: the list offers "Get a new number" (the wizard) instead."""
        listing = self.arch("teleum.number", "list")
        self.assertIn(listing.get("create"), ("0", "false"))
        wizard = self.env.ref("teleum_telephony.teleum_get_number_server_action")
        buttons = listing.xpath("//header/button[@name='%d']" % wizard.id)
        self.assertEqual([b.get("string") for b in buttons], ["Get a new number"])
        form = self.arch("teleum.number", "form")
        self.assertIn(form.get("create"), ("0", "false"))
        self.assertIn(form.get("duplicate"), ("0", "false"))
        help_html = self.env.ref("teleum_telephony.teleum_number_action").help
        self.assertIn("Get a new number", help_html, "the empty list says where numbers come from")

    # ------------------------------------------------------------------ forwards
    def test_teleum_lists_offer_no_create(self):
        """Type, caller ID and numbers of a forward are chosen, never created ("Create …" is not offered)."""
        forward_form = self.arch("teleum.forward", "form")
        inline = self.arch("teleum.number", "form").xpath("//field[@name='forward_ids']/list")[0]
        for where, root, names in (
            ("forward form", forward_form, ("number_id", "type_id", "callerid_type_id", "callerid_number_id")),
            ("number form, forwards", inline, ("type_id", "callerid_type_id", "callerid_number_id")),
        ):
            for fname in names:
                with self.subTest(where=where, field=fname):
                    node = root.xpath(".//field[@name='%s']" % fname)[0]
                    self.assertIs(self.options(node).get("no_create"), True)
        # and the name_create a quick create would call refuses cleanly (no failed INSERT)
        for model in ("teleum.forward.type", "teleum.callerid.type"):
            before = self.env[model].search_count([])
            with self.subTest(model=model), self.assertRaisesRegex(UserError, "comes from Teleum"):
                self.env[model].with_user(self.manager).name_create("Pigeon post")
            self.assertEqual(self.env[model].search_count([]), before)

    def test_grouped_lists_add_up_no_order_or_timeout(self):
        """A grouped forward list shows no total of timeouts or order; the call pivot offers no
        "Occurrence" measure. Durations still add up."""
        forward = self.env["teleum.forward"].with_user(self.manager).fields_get(["timeout", "sequence"],
                                                                                ["aggregator"])
        self.assertEqual({f: d.get("aggregator") for f, d in forward.items()},
                         {"timeout": None, "sequence": None})
        call = self.env["teleum.call"].fields_get(["occurrence", "duration"], ["aggregator"])
        self.assertIsNone(call["occurrence"].get("aggregator"))
        self.assertEqual(call["duration"]["aggregator"], "avg")
        # what the grouped list asks for: no timeout total in the groups
        groups = self.env["teleum.forward"].web_read_group([("account_id", "=", self.account.id)],
                                                           ["timeout"], ["number_id"])["groups"]
        self.assertTrue(groups)
        self.assertTrue(all("timeout" not in group for group in groups))

    def test_changed_timeout_shows_old_and_new_value(self):
        forward = self.env["teleum.forward"].search([("number_id", "=", self.number.id)], limit=1)
        old = forward.timeout
        new = 25 if old != 25 else 15
        forward.with_user(self.manager).timeout = new
        self.assertEqual(forward.timeout, new)
        self.env.flush_all()
        self.env.cr.flush()  # tracking is written when the transaction ends (its precommit hooks)
        # the forward's own chatter: Timeout old → new
        tracked = forward.message_ids.tracking_value_ids.filtered(lambda t: t.field_id.name == "timeout")
        self.assertEqual([(t.old_value_integer, t.new_value_integer) for t in tracked], [(old, new)])
        # the number's chatter names the forward and the change
        body = self.number.message_ids.sorted("id")[-1].body
        self.assertIn("Timeout: %s s → %s s" % (old, new), body)
        self.assertIn(forward.display_name, body)

    # ------------------------------------------------------------------ type names
    def test_documented_type_names_in_the_users_language(self):
        types = self.env["teleum.forward.type"].search([("account_id", "=", self.account.id)])
        cids = self.env["teleum.callerid.type"].search([("account_id", "=", self.account.id)])
        self.assertEqual(set(types.mapped("name")), {"SIP", "Телефон", "Автоответчик", "Факс"}, "Teleum's names")
        unknown = self.env["teleum.forward.type"].create({"account_id": self.account.id, "teleum_id": "77",
                                                          "name": "Голосовое меню"})
        english = {t.name: t.display_name for t in types | unknown}
        self.assertEqual(english, {"SIP": "SIP line", "Телефон": "Phone", "Автоответчик": "Answering machine",
                                   "Факс": "Fax", "Голосовое меню": "Голосовое меню"})
        self.assertEqual({c.name: c.display_name for c in cids},
                         {"вызывающего": "Caller's number", "групповой": "Group number", "свой": "Own number"})
        # an English user finds "Телефон" by typing "phone"
        found = self.env["teleum.forward.type"].name_search("phone", [("account_id", "=", self.account.id)])
        self.assertEqual([name for _id, name in found], ["Phone"])
        forward = self.env["teleum.forward"].search([("number_id", "=", self.number.id)]).filtered(
            lambda f: f.type_id.name == "Телефон")[:1]
        self.assertTrue(forward.display_name.startswith("Phone → "))

        ru = self.russian()
        russian = {t.name: t.display_name for t in (types | unknown).with_env(ru)}
        self.assertEqual(russian, {"SIP": "SIP-линия", "Телефон": "Телефон", "Автоответчик": "Автоответчик",
                                   "Факс": "Факс", "Голосовое меню": "Голосовое меню"})
        self.assertEqual({c.name: c.display_name for c in cids.with_env(ru)},
                         {"вызывающего": "Номер вызывающего", "групповой": "Групповой номер",
                          "свой": "Свой номер"})

    # ------------------------------------------------------------------ calls
    def test_other_party_formatted_and_found_as_typed(self):
        call = self.a_call("mobile", remote_number="79161234567")
        short = self.a_call("short", remote_number="101")
        # Odoo's rule for phone numbers: national for the company's country, as the notes and tickets say
        self.assertEqual(call.remote_number_formatted, "8 (916) 123-45-67")
        self.assertEqual(short.remote_number_formatted, "101")
        self.assertTrue(call.display_name.startswith("8 (916) 123-45-67 "))
        foreign = self.a_call("foreign", remote_number="4930123456")
        self.assertEqual(foreign.remote_number_formatted, "+49 30 123456")
        for typed in ("+7 916 123-45-67", "8 (916) 123-45-67", "79161234567", "916 123"):
            with self.subTest(typed=typed):
                found = self.env["teleum.call"].search([("remote_number_formatted", "ilike", typed),
                                                        ("id", "in", (call | short).ids)])
                self.assertEqual(found, call)
        listing = self.arch("teleum.call", "list")
        self.assertEqual(listing.xpath("//field[@name='remote_number_formatted']")[0].get("column_invisible"), None)
        self.assertFalse(listing.xpath("//field[@name='remote_number']"), "no raw digits column")
        self.assertEqual(len(self.arch("teleum.call", "search").xpath("//field[@name='remote_number_formatted']")), 1)

    def test_raw_teleum_status_only_when_undocumented(self):
        """The form shows the translated status; Teleum's own word only when it is not a documented one."""
        node = self.arch("teleum.call", "form").xpath("//field[@name='disposition']")[0]
        answered = self.a_call("answered")
        odd = self.a_call("odd", status="other", disposition="CONGESTION")
        hidden = {c.disposition: bool(safe_eval(node.get("invisible"), {"status": c.status,
                                                                        "disposition": c.disposition}))
                  for c in answered | odd}
        self.assertEqual(hidden, {"ANSWERED": True, "CONGESTION": False})
        ru = self.russian()
        labels = dict(self.env["teleum.call"].with_env(ru)._fields["status"]._description_selection(ru))
        self.assertEqual(labels[answered.status], "Отвечен")

    def test_callback_note_in_the_assignees_time_zone_and_language(self):
        far_east = new_test_user(self.env, "ui_vladivostok", groups="sales_team.group_sale_salesman",
                                 tz="Asia/Vladivostok")
        self.russian()
        ural = new_test_user(self.env, "ui_ural", groups="sales_team.group_sale_salesman",
                             tz="Asia/Yekaterinburg", lang="ru_RU")
        callers = {far_east: "79161110021", ural: "79161110022"}
        partners = {user: self.env["res.partner"].create({"name": user.login, "phone": "+" + key,
                                                          "user_id": user.id})
                    for user, key in callers.items()}
        for key in callers.values():
            self.add_call(key)
        self.account.action_sync()
        callback = self.env.ref("teleum_telephony.mail_activity_type_call_back")
        for user, fmt, text in ((far_east, "%m/%d/%Y %H:%M:%S", "Missed call on %s to "),
                                (ural, "%d.%m.%Y %H:%M:%S", "Пропущенный звонок %s на ")):
            with self.subTest(user=user.login):
                call = self.env["teleum.call"].search([("remote_number", "=", callers[user])])
                activity = self.env["mail.activity"].search([
                    ("res_model", "=", "res.partner"), ("res_id", "=", partners[user].id),
                    ("activity_type_id", "=", callback.id)])
                self.assertEqual(activity.user_id, user)
                local = pytz.utc.localize(call.call_date).astimezone(pytz.timezone(user.tz))
                self.assertIn(text % local.strftime(fmt), activity.note)
                moscow = pytz.utc.localize(call.call_date).astimezone(MSK)
                self.assertNotIn(moscow.strftime("%H:%M"), activity.note, "not Teleum's Moscow time")
        self.assertIn("8 (916) 111-00-21", self.env["mail.activity"].search(
            [("res_id", "=", partners[far_east].id), ("res_model", "=", "res.partner")]).summary)

    # ------------------------------------------------------------------ contacts and leads
    def test_number_keys_not_offered_to_group_by(self):
        salesman = new_test_user(self.env, "ui_salesman", groups="sales_team.group_sale_salesman")
        for model in ("res.partner", "crm.lead"):
            fields = self.env[model].with_user(salesman).get_views([(False, "search")])["models"][model]["fields"]
            for fname in ("teleum_phone_key", "teleum_mobile_key"):
                with self.subTest(model=model, field=fname):
                    desc = fields.get(fname, {})
                    self.assertFalse(desc.get("groupable") or desc.get("searchable") or desc.get("sortable"))
            self.assertTrue(fields["phone"]["groupable"], "other fields are still offered")
        # still what matches the calls
        partner = self.env["res.partner"].create({"name": "Keyed", "phone": "8 (916) 123-45-67"})
        self.assertEqual(self.env["res.partner"].search([("teleum_phone_key", "=", "79161234567")]), partner)

    # ------------------------------------------------------------------ account, SIP lines
    def test_balance_with_its_currency(self):
        rub = self.env.ref("base.RUB")
        if rub.active:
            self.account.currency_id.with_context(force_deactivate=True).active = False
        self.assertFalse(rub.active)
        account = self.env["teleum.account"].create({"name": "Second", "api_url": self.sandbox.url,
                                                     "company_id": self.env.company.id})
        self.assertEqual(account.currency_id, rub)
        self.assertTrue(rub.active, "the balance's currency is active")
        # what the web client formats amounts with: only active currencies have a symbol there
        self.assertEqual(self.env["ir.http"].get_currencies()[rub.id]["symbol"], rub.symbol)
        form = self.arch("teleum.account", "form", user=self.env.ref("base.user_admin"))
        ungated = form.xpath("//field[@name='currency_id'][not(@groups)]")
        self.assertTrue(ungated, "the form loads the currency for everyone who sees the balance")
        balance = form.xpath("//field[@name='balance']")[0]
        self.assertEqual(self.env["teleum.account"].fields_get(["balance"])["balance"]["currency_field"],
                         "currency_id")
        self.assertEqual(balance.getparent(), ungated[0].getparent())
        settings = self.arch("res.config.settings", "form", user=self.env.ref("base.user_admin"))
        self.assertTrue(settings.xpath("//field[@name='teleum_currency_id']"), "and so does Settings")
        self.assertEqual(self.env["res.config.settings"].fields_get(["teleum_balance"])["teleum_balance"]
                         ["currency_field"], "teleum_currency_id")

    def test_sip_password_help_fits_new_or_existing_line(self):
        nodes = self.arch("teleum.sip", "form").xpath("//field[@name='new_password']")
        by_case = {}
        for node in nodes:
            for case, record in (("new", {"id": False}), ("existing", {"id": 7})):
                if not safe_eval(node.get("invisible") or "False", record):
                    required = safe_eval(node.get("required") or "False", record)
                    by_case.setdefault(case, []).append((node.get("placeholder"), required))
        self.assertEqual(by_case["new"], [("At least 10 characters, letters and digits", True)])
        self.assertEqual(by_case["existing"], [("Leave empty to keep the current password", False)])
