from datetime import timedelta

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
    # transcripts of recorded calls: the company's settings (groups follow the company's fields)
    teleum_stt_url = fields.Char(related="company_id.teleum_stt_url", readonly=False)
    teleum_stt_key = fields.Char(related="company_id.teleum_stt_key", readonly=False)
    teleum_stt_model = fields.Char(related="company_id.teleum_stt_model", readonly=False)
    teleum_stt_language = fields.Selection(related="company_id.teleum_stt_language", readonly=False)
    teleum_stt_min_seconds = fields.Integer(related="company_id.teleum_stt_min_seconds", readonly=False)
    teleum_summary_model = fields.Char(related="company_id.teleum_summary_model", readonly=False)
    teleum_stt_daily_minutes = fields.Integer(related="company_id.teleum_stt_daily_minutes", readonly=False)
    teleum_stt_retention_days = fields.Integer(related="company_id.teleum_stt_retention_days", readonly=False)
    teleum_stt_since = fields.Date(related="company_id.teleum_stt_since", readonly=False)
    teleum_stt_error = fields.Text(related="company_id.teleum_stt_error")
    teleum_stt_stopped = fields.Boolean(related="company_id.teleum_stt_stopped")
    teleum_stt_paused_until = fields.Datetime(related="company_id.teleum_stt_paused_until")
    teleum_stt_sent_minutes = fields.Integer("Minutes sent in the last 24 hours", compute="_compute_teleum_stt_usage")
    teleum_stt_done_count = fields.Integer("Calls with a transcript", compute="_compute_teleum_stt_usage")

    @api.depends("company_id")
    def _compute_teleum_account(self):
        for settings in self:
            settings.teleum_account_id = self.env["teleum.account"].search(
                [("company_id", "=", settings.company_id.id)], limit=1)

    @api.depends("company_id")
    def _compute_teleum_stt_usage(self):
        Call = self.env["teleum.call"].sudo()
        since = fields.Datetime.now() - timedelta(days=1)
        for settings in self:
            company = [("company_id", "=", settings.company_id.id)]
            [(seconds,)] = Call._read_group(company + [("transcript_sent_date", ">", since)], [], ["duration:sum"])
            settings.teleum_stt_sent_minutes = round((seconds or 0) / 60)
            settings.teleum_stt_done_count = Call.search_count(company + [("transcript", "!=", False)])

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

    def action_teleum_stt_test(self):
        """Send a short generated audio with the settings as typed (saved first by the client)."""
        self.ensure_one()
        if not self.env.user.has_group("base.group_system"):
            return False
        return self.company_id._teleum_stt_test()
