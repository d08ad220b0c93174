from odoo import _, api, fields, models

from .teleum_account import _tz_names

ACCOUNT_FIELDS = {
    # settings field: account field
    "teleum_api_url": "api_url",
    "teleum_login": "login",
    "teleum_password": "password",
    "teleum_timezone": "timezone",
    "teleum_history_months": "history_months",
    "teleum_low_balance_threshold": "low_balance_threshold",
}


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    teleum_account_id = fields.Many2one("teleum.account", compute="_compute_teleum_account")
    teleum_chatter_calls = fields.Selection(related="company_id.teleum_chatter_calls", readonly=False)
    teleum_callback_target = fields.Integer(related="company_id.teleum_callback_target", readonly=False)
    teleum_assign_salesperson = fields.Boolean(related="company_id.teleum_assign_salesperson", readonly=False)
    teleum_api_url = fields.Char("Teleum API URL")
    teleum_login = fields.Char("Teleum e-mail")
    teleum_password = fields.Char("Teleum password")
    teleum_timezone = fields.Selection(_tz_names, string="Teleum report time zone")
    teleum_history_months = fields.Integer("Months of call history")
    teleum_low_balance_threshold = fields.Float("Low balance threshold")
    teleum_state = fields.Selection(related="teleum_account_id.state")
    teleum_contract = fields.Char(related="teleum_account_id.contract")
    teleum_balance = fields.Monetary(related="teleum_account_id.balance", currency_field="teleum_currency_id")
    teleum_currency_id = fields.Many2one(related="teleum_account_id.currency_id")
    teleum_last_sync = fields.Datetime(related="teleum_account_id.last_sync")
    teleum_last_error = fields.Text(related="teleum_account_id.last_error")
    teleum_last_sync_new_calls = fields.Integer(related="teleum_account_id.last_sync_new_calls")
    teleum_sync_progress = fields.Char(related="teleum_account_id.sync_progress")
    teleum_slow_notice = fields.Char(related="teleum_account_id.slow_notice")

    @api.depends("company_id")
    def _compute_teleum_account(self):
        for settings in self:
            settings.teleum_account_id = self.env["teleum.account"].search(
                [("company_id", "=", settings.company_id.id)], limit=1)

    @api.model
    def get_values(self):
        res = super().get_values()
        account = self.env["teleum.account"].sudo().search([("company_id", "=", self.env.company.id)], limit=1)
        defaults = self.env["teleum.account"].default_get(list(ACCOUNT_FIELDS.values()))
        for sfield, afield in ACCOUNT_FIELDS.items():
            res[sfield] = account[afield] if account else defaults.get(afield)
        return res

    def set_values(self):
        super().set_values()
        if not self.env.user.has_group("base.group_system"):
            return
        Account = self.env["teleum.account"].sudo()
        account = Account.search([("company_id", "=", self.company_id.id)], limit=1)
        vals = {afield: self[sfield] for sfield, afield in ACCOUNT_FIELDS.items()}
        if not account:
            if not self.teleum_login:
                return
            Account.create(dict(vals, company_id=self.company_id.id))
            return
        changed = {k: v for k, v in vals.items() if (account[k] or False) != (v or False)}
        if changed:
            account.write(changed)

    # The buttons save what was typed (set_values) and then act on it; they never raise, so
    # what was typed is committed with the request whatever Teleum answers.
    def action_teleum_test_connection(self):
        self.set_values()
        self._compute_teleum_account()
        if not self.teleum_account_id:
            return self.env["teleum.account"]._notify(
                _("Connection failed"), _("Enter the Teleum e-mail and password first."), "danger")
        return self.teleum_account_id.action_test_connection()

    def action_teleum_sync(self):
        self.set_values()
        self._compute_teleum_account()
        if not self.teleum_account_id:
            return self.env["teleum.account"]._notify(
                _("Sync not started"), _("Enter the Teleum e-mail and password first."), "danger")
        return self.teleum_account_id.action_sync_button()

    def action_teleum_open(self, what):
        self._compute_teleum_account()
        return getattr(self.teleum_account_id, "action_open_" + what)()

    def action_teleum_open_numbers(self):
        return self.action_teleum_open("numbers")

    def action_teleum_open_sips(self):
        return self.action_teleum_open("sips")

    def action_teleum_open_calls(self):
        return self.action_teleum_open("calls")

    def action_teleum_open_account(self):
        self._compute_teleum_account()
        return {"type": "ir.actions.act_window", "res_model": "teleum.account",
                "res_id": self.teleum_account_id.id, "view_mode": "form", "views": [(False, "form")]}
