"""'Get a new number': tariff group → tariff → (free number) → confirmation → connectTariff."""

import re

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..teleum_api import TeleumError, TeleumTransientError
from ..tools import format_phone

FREE_NUMBERS_PAGE = 50


class TeleumGetNumberWizard(models.TransientModel):
    _name = "teleum.get.number.wizard"
    _description = "Get a new Teleum number"
    _check_company_auto = True

    account_id = fields.Many2one("teleum.account", required=True, ondelete="cascade", check_company=True)
    company_id = fields.Many2one(related="account_id.company_id")
    currency_id = fields.Many2one(related="account_id.currency_id")
    step = fields.Selection([("tariff", "Tariff"), ("number", "Number"), ("confirm", "Confirmation")],
                            default="tariff", required=True)
    group_id = fields.Many2one("teleum.tariff.group", "Tariff group", check_company=True,
                               domain="[('account_id', '=', account_id)]")
    tariff_id = fields.Many2one("teleum.tariff", "Tariff", check_company=True,
                                domain="[('account_id', '=', account_id), ('group_id', '=', group_id)]")
    tariff_description = fields.Text(related="tariff_id.description")
    number_required = fields.Boolean(related="tariff_id.number_required")
    region_name = fields.Char(related="tariff_id.region_name")
    number_type_name = fields.Char(related="tariff_id.number_type_name")
    serie = fields.Char("Series", help="The first digits of the number, e.g. 7812323 or +7 (812) 323.")
    series_text = fields.Text("Available series", readonly=True)
    free_count = fields.Integer("Free numbers found", readonly=True)
    free_summary = fields.Char("Free numbers shown", compute="_compute_free_summary",
                               help="How many free numbers are listed, of how many Teleum has.")
    line_ids = fields.One2many("teleum.get.number.line", "wizard_id", string="Free numbers")
    line_id = fields.Many2one("teleum.get.number.line", "Chosen number")
    connect_price = fields.Monetary(related="tariff_id.connect_price")
    monthly_price = fields.Monetary(related="tariff_id.monthly_price")
    number_cost = fields.Monetary(related="line_id.cost", string="Number price")
    total = fields.Monetary("Charged now", compute="_compute_total")
    balance = fields.Monetary(related="account_id.balance", string="Current balance")
    balance_date = fields.Datetime(related="account_id.balance_date")
    insufficient = fields.Boolean(compute="_compute_total")

    @api.depends("tariff_id", "line_id", "balance")
    def _compute_total(self):
        for wiz in self:
            # what Teleum charges at connection: the connection price, the first month, the number
            wiz.total = wiz.connect_price + wiz.monthly_price + (wiz.number_cost if wiz.number_required else 0.0)
            wiz.insufficient = wiz.currency_id.compare_amounts(wiz.total, wiz.balance) > 0

    @api.depends("free_count", "line_ids")
    def _compute_free_summary(self):
        for wiz in self:
            shown = len(wiz.line_ids)
            if wiz.free_count > shown:
                wiz.free_summary = _("The first %(shown)s of %(count)s free numbers: type a series to narrow them.",
                                     shown=shown, count=wiz.free_count)
            else:
                wiz.free_summary = _("%(count)s free numbers.", count=shown)

    @api.onchange("group_id")
    def _onchange_group_id(self):
        if self.tariff_id.group_id != self.group_id:
            self.tariff_id = False

    # ------------------------------------------------------------------ start
    @api.model
    def _action_start(self, account=None):
        """Read the catalogue and the balance from Teleum, then open the wizard (menu / button)."""
        account = account or self.env["teleum.account"].search([("company_id", "in", self.env.companies.ids)],
                                                               limit=1)
        if not account:
            raise UserError(_("Connect a Teleum account first (Telephony > Configuration)."))
        self.check_access("create")
        client = account._get_client()
        try:
            self.env["teleum.tariff"]._sync_catalog(account, client)
            account._sync_balance(client)
        except TeleumError as exc:
            raise UserError(account._error_text(exc)) from None
        wizard = self.create({"account_id": account.id})
        return wizard._reopen()

    def _reopen(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id, "view_mode": "form",
            "target": "new", "name": _("Get a new number"),
        }

    # ------------------------------------------------------------------ steps
    def action_next(self):
        self.ensure_one()
        if not self.tariff_id:
            raise ValidationError(_("Choose a tariff."))
        if self.tariff_id.number_required:
            self._load_free_numbers()
            self.step = "number"
        else:
            self.line_id = False
            self._refresh_balance()
            self.step = "confirm"
        return self._reopen()

    def action_back(self):
        self.ensure_one()
        self.step = "number" if self.step == "confirm" and self.number_required else "tariff"
        return self._reopen()

    def action_search(self):
        self.ensure_one()
        self._load_free_numbers()
        return self._reopen()

    @api.model
    def _clean_serie(self, serie):
        """The series a user typed, as Teleum's digits ('+7 (812) 323' → '7812323'), or a ValidationError."""
        serie = (serie or "").strip()
        if not serie:
            return None
        if not re.fullmatch(r"\+?[\d\s().\-]+", serie):
            raise ValidationError(_("The series %(serie)s may only contain digits (and +, spaces, ( ) -).",
                                    serie=serie))
        digits = re.sub(r"\D", "", serie)
        if digits.startswith("8") and not serie.startswith("+"):
            digits = "7" + digits[1:]  # national trunk prefix
        if not 1 <= len(digits) <= 11:
            raise ValidationError(_("The series %(serie)s is too long: type the first digits of the number.",
                                    serie=serie))
        return digits

    def _load_free_numbers(self):
        tariff = self.tariff_id
        serie = self._clean_serie(self.serie)
        client = self.account_id._get_client()
        try:
            page = client.get_free_numbers(tariff.region_id or 0, tariff.number_type_id or 0, start=0,
                                           limit=FREE_NUMBERS_PAGE, serie=serie)
        except TeleumError as exc:
            raise UserError(self.account_id._error_text(exc)) from None
        self.line_ids = [(5, 0, 0)] + [(0, 0, {
            "teleum_id": n.id, "number": n.number, "number_formatted": format_phone(n.number) or n.number_formatted,
            "cost": float(n.cost or 0),
        }) for n in page.numbers]
        self.line_id = False
        self.free_count = page.count
        self.series_text = ", ".join(form or s for s, form in page.series) or False

    def _refresh_balance(self):
        try:
            self.account_id._sync_balance(self.account_id._get_client())
        except TeleumError as exc:
            raise UserError(self.account_id._error_text(exc)) from None

    def _choose(self, line):
        self.line_id = line
        self._refresh_balance()
        self.step = "confirm"
        return self._reopen()

    # ------------------------------------------------------------------ connect
    def action_connect(self):
        self.ensure_one()
        account, tariff = self.account_id, self.tariff_id
        if not tariff:
            raise ValidationError(_("Choose a tariff."))
        if tariff.number_required and not self.line_id:
            raise ValidationError(_("Choose one of the free numbers."))
        if self.insufficient:
            raise UserError(_("The balance (%(balance)s) does not cover this connection (%(total)s). Top up the "
                              "account first: nothing was sent to Teleum.",
                              balance=self._money(self.balance), total=self._money(self.total)))
        client = account._get_client()
        numid = self.line_id.teleum_id if tariff.number_required else None
        Numbers = self.env["teleum.number"]
        before = Numbers.search([("account_id", "=", account.id)])
        try:
            client.connect_tariff(tariff.teleum_id, numid)
        except TeleumTransientError:
            # the reply was lost: look at what Teleum has before saying anything, never resend
            self._sync_connected(client)
            if not self._connected_now(before):
                raise UserError(_("Teleum did not confirm the connection of %(tariff)s and does not list it: "
                                  "nothing was connected (and nothing was sent again). Try again.",
                                  tariff=tariff.name)) from None
        except TeleumError as exc:
            raise UserError(account._error_text(exc)) from None
        self._sync_connected(client)
        new = self._connected_now(before)
        if self.number_required and not new:
            raise UserError(_("Teleum connected %(tariff)s but does not list the number %(number)s yet: "
                              "sync the account in a moment.", tariff=tariff.name,
                              number=self.line_id.number_formatted))
        with_number = _("with the number %(number)s", number=new.display_name) if new else ""
        text = _("Tariff %(tariff)s connected on Teleum%(number)s (connection %(connect)s, monthly fee "
                 "%(monthly)s).", tariff=tariff.name, number=" " + with_number if with_number else "",
                 connect=self._money(self.connect_price), monthly=self._money(self.monthly_price))
        account._message_log(body=text)
        self.env["teleum.forward"]._teleum_confirm(text)
        if new:
            # the new number rings nobody yet: its form offers "Add a forward"
            return {"type": "ir.actions.act_window", "res_model": "teleum.number", "res_id": new.id,
                    "view_mode": "form", "views": [(False, "form")], "target": "current"}
        return {"type": "ir.actions.act_window_close"}

    def _money(self, amount):
        return "%.2f %s" % (amount, self.currency_id.symbol or self.currency_id.name or "")

    def _connected_now(self, before):
        new = self.env["teleum.number"].search([("account_id", "=", self.account_id.id)]) - before
        if self.line_id:
            new = new.filtered(lambda n: n.number == self.line_id.number)
        return new[:1]

    def _sync_connected(self, client):
        account = self.account_id
        try:
            tariffs = client.get_connected_tariffs()
            self.env["teleum.connected.tariff"]._sync_from_teleum(account, client, tariffs=tariffs)
            numbers = self.env["teleum.number"]._sync_from_teleum(account, client, tariffs=tariffs)
            self.env["teleum.connected.tariff"].search([("account_id", "=", account.id)])._compute_number_id()
            for number in numbers.values():
                if number.teleum_id and not number.forward_ids:
                    self.env["teleum.forward"]._sync_number(number, client)
            account._sync_balance(client)
        except TeleumError as exc:
            raise UserError(_("Teleum's answer was lost and Teleum cannot be read now (%(error)s). The tariff may "
                              "or may not be connected: it was not sent again. Sync the account later.",
                              error=account._error_text(exc))) from None


class TeleumGetNumberLine(models.TransientModel):
    _name = "teleum.get.number.line"
    _description = "Free Teleum number"
    _order = "number"
    _rec_name = "number_formatted"  # the confirm step names the chosen number

    wizard_id = fields.Many2one("teleum.get.number.wizard", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    teleum_id = fields.Char("Teleum ID", readonly=True)
    number = fields.Char("Number (E.164)", readonly=True)
    number_formatted = fields.Char("Number", readonly=True)
    cost = fields.Monetary("Price", readonly=True)

    def action_choose(self):
        self.ensure_one()
        return self.wizard_id._choose(self)
