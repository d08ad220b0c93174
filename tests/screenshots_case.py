"""The screenshots of static/description/ and README.md, taken in headless Chromium.

Not a test of dev/test (the file name does not match test_*.py and it is skipped without
TELEUM_SCREENSHOTS=1): dev/screenshots runs it. It starts the sandbox with the demo data of
dev/run, connects and synchronises an account, adds a few contacts like a real customer's, and
saves 1280×800 PNGs of the addon's main screens into TELEUM_SCREENSHOTS_DIR.
"""

import base64
import logging
import os
import shutil
import unittest
from pathlib import Path

from odoo.tests import HttpCase, tagged
from odoo.tests.common import ChromeBrowser

from .common import TeleumCase

_logger = logging.getLogger(__name__)

WIDTH, HEIGHT = 1280, 800
NAMES = ["Ольга Смирнова", "ООО «Северный ветер»", "Иван Петров", "Анна Кузнецова", "Дмитрий Соколов",
         "ИП Волков", "Мария Лебедева", "Сергей Новиков"]


@tagged("post_install", "-at_install", "teleum_screenshots")
@unittest.skipUnless(os.environ.get("TELEUM_SCREENSHOTS") == "1", "run by dev/screenshots")
@unittest.skipUnless(shutil.which("chromium") or shutil.which("google-chrome"), "no Chromium")
class TeleumScreenshots(TeleumCase, HttpCase):
    sandbox_options = {"seed": 1, "months": 3, "calls_per_month": 300}  # as dev/run

    def setUp(self):
        super().setUp()
        self.out = Path(os.environ.get("TELEUM_SCREENSHOTS_DIR", "static/description"))
        self.out.mkdir(parents=True, exist_ok=True)
        self.account.history_months = 3
        # agents on the SIP lines before the calls are imported: each call gets its agent
        self.account._sync_all(parts=("config",))
        admin = self.env.ref("base.user_admin")
        admin.name = "Алексей Иванов"
        marina = self.env["res.users"].create({
            "name": "Марина Орлова", "login": "marina",
            "groups_id": [(6, 0, [self.env.ref("teleum_telephony.group_teleum_user").id])]})
        sips = self.env["teleum.sip"].search([("account_id", "=", self.account.id)], order="num")
        for index, sip in enumerate(sips):
            sip.with_context(teleum_sync=True).user_id = (admin, marina)[index % 2]
        self.account.action_sync()
        # contacts for the most frequent callers, as a customer's database has
        Call = self.env["teleum.call"]
        groups = Call._read_group([("account_id", "=", self.account.id), ("remote_number", "!=", False)],
                                  ["remote_number"], ["__count"], order="__count desc", limit=len(NAMES))
        ru = self.env.ref("base.ru")
        self.partners = self.env["res.partner"]
        for (number, _count), name in zip(groups, NAMES):
            self.partners |= self.env["res.partner"].create({
                "name": name, "phone": "+" + number, "country_id": ru.id, "is_company": name.startswith(("ООО", "ИП")),
                "email": "info@example.ru" if name.startswith("ООО") else False,
            })
        self.env.invalidate_all()

    # ------------------------------------------------------------------ browser
    def _browser(self, login="admin"):
        browser = ChromeBrowser(self, headless=True)
        self.addCleanup(self._wait_remaining_requests)
        self.addCleanup(browser.stop)
        self.authenticate(login, login, browser=browser)
        self.cr.flush()
        self.cr.clear()
        browser._websocket_request("Emulation.setDeviceMetricsOverride", params={
            "width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False})
        return browser

    def shoot(self, browser, url, ready, name, before=None, after=None):
        browser.navigate_to(self.base_url() + url, wait_stop=True)
        # the web client is styled (its assets are loaded) before anything else is checked; the
        # first build of an asset bundle may fail on a loaded machine: the page is then reloaded
        styled = "getComputedStyle(document.querySelector('.o_main_navbar')).backgroundColor !== 'rgba(0, 0, 0, 0)'"
        for _attempt in range(3):
            try:
                if browser._wait_ready(styled, timeout=30):
                    break
            except TimeoutError:
                _logger.info("%s: the page did not load in time, reloading", name)
            browser.navigate_to(self.base_url() + url, wait_stop=True)
        else:
            self.fail("%s: the web client did not load" % name)
        if before:
            self.assertTrue(browser._wait_ready(before, timeout=60), "%s: %s never became true" % (name, before))
            browser._websocket_request("Runtime.evaluate", params={"expression": before + "&& true"})
        self.assertTrue(browser._wait_ready(ready, timeout=60), "%s: %s never became true" % (name, ready))
        if after:
            browser._websocket_request("Runtime.evaluate", params={"expression": after})
        # let Owl finish rendering, fonts and avatars load, the mouse leave no hover
        browser._websocket_request("Runtime.evaluate", params={
            "expression": "new Promise(r => setTimeout(r, 1500))", "awaitPromise": True}, timeout=10)
        data = browser._websocket_request("Page.captureScreenshot", params={"format": "png"}, timeout=30)["data"]
        path = self.out / ("screenshot_%s.png" % name)
        path.write_bytes(base64.b64decode(data))
        _logger.info("saved %s", path)

    @staticmethod
    def exists(selector):
        return "!!document.querySelector(%r)" % selector

    @staticmethod
    def scroll(selector):
        return "document.querySelector(%r).scrollIntoView({block: 'start'})" % selector

    @staticmethod
    def click(selector):
        return "(() => { const el = document.querySelector(%r); if (el) { el.click(); return true; } })()" % selector

    # ------------------------------------------------------------------ screens
    def test_screenshots(self):
        partner = max(self.partners, key=lambda p: len(p.teleum_recent_call_ids.filtered("recording_id")))
        number = self.env["teleum.number"].search([("account_id", "=", self.account.id)]).sorted(
            lambda n: -len(n.forward_ids))[:1]
        # a forward ringing the contact's mobile, as "Route calls to an agent" makes when asked to
        partner.mobile = "+7 916 123-45-67"
        wizard = self.env["teleum.route.calls.wizard"].create({"partner_id": partner.id, "number_id": number.id,
                                                               "ring_on": "customer"})
        if wizard.target:
            wizard.action_apply()
        self.env.invalidate_all()

        browser = self._browser()
        self.shoot(browser, "/odoo/action-teleum_telephony.teleum_call_action",
                   self.exists(".o_list_view .o_data_row"), "calls")
        self.shoot(browser, "/odoo/contacts/%d" % partner.id, self.exists(".o_teleum_partner_calls .o_data_row"),
                   "contact", before=self.click(".o_notebook .nav-link[name=teleum_calls]"),
                   after=self.scroll(".o_notebook"))
        self.shoot(browser, "/odoo/action-teleum_telephony.teleum_number_action/%d" % number.id,
                   self.exists(".o_form_view .o_field_one2many[name=forward_ids] .o_data_row"), "number")
        self.shoot(browser, "/odoo/action-teleum_telephony.teleum_settings_action",
                   self.exists(".app_settings_block .o_field_widget[name=teleum_login]"), "settings",
                   before=self.exists(".app_settings_block"))

        # the same calls list for a Russian-speaking user
        self.env["res.lang"]._activate_lang("ru_RU")
        modules = self.env["ir.module.module"].search([("state", "=", "installed")]).mapped("name")
        self.env["ir.module.module"]._load_module_terms(modules, ["ru_RU"], overwrite=True)
        self.env.ref("base.user_admin").lang = "ru_RU"
        browser = self._browser()
        self.shoot(browser, "/odoo/action-teleum_telephony.teleum_call_action",
                   self.exists(".o_list_view .o_data_row"), "calls_ru")
        self.shoot(browser, "/odoo/contacts/%d" % partner.id, self.exists(".o_teleum_partner_calls .o_data_row"),
                   "contact_ru", before=self.click(".o_notebook .nav-link[name=teleum_calls]"),
                   after=self.scroll(".o_notebook"))
