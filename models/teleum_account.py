"""The Teleum connection of a company, and the one sync algorithm every entry point uses.

`action_sync()` (scripts, RPC), *Sync now* (`action_sync_button()`, run by the "sync requested"
cron) and the scheduled actions (`_cron_sync()`) all go through `_sync_all()`: under an advisory
lock (`_sync_lock()`), `_sync_locked()` runs the configuration (`_sync_config()`), the calls
(`_sync_calls()`, page by page) and the balance (`_sync_balance()`). Each page of calls commits
when it is done (outside tests), so a crash loses at most the page being imported, and the next
run resumes from the cursor stored here.

Beside it: the call pager (months, pages, cursor, probe) in teleum_call_import.py; the lock,
Sync now, its progress and notification in teleum_account_sync.py.
"""

import logging
import threading

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

from ..teleum_api import DEFAULT_URL, TeleumClient, TeleumError
from ..teleum_api.redact import redact

_logger = logging.getLogger(__name__)

# One client (one requests.Session, one Teleum token) per account and credentials, kept across
# cron runs so that a sync does not log in again every few minutes.
_CLIENTS = {}
_CLIENTS_LOCK = threading.Lock()

# What a form asks Teleum while a person waits (the next SIP number) gives up after this many
# seconds, with no retry: a form never hangs on Teleum.
QUICK_TIMEOUT = 3


def _tz_names(*_model):  # Odoo calls a selection function with the model
    return [(tz, tz) for tz in pytz.common_timezones]


class TeleumAccount(models.Model):
    _name = "teleum.account"
    _description = "Teleum Account"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _check_company_auto = True
    _order = "company_id, id"

    name = fields.Char(required=True, default=lambda self: _("Teleum"), tracking=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    api_url = fields.Char(
        "API URL", required=True, default=DEFAULT_URL, groups="base.group_system", tracking=True
    )
    login = fields.Char("E-mail", groups="base.group_system", tracking=True, copy=False)
    password = fields.Char(groups="base.group_system", copy=False)
    timezone = fields.Selection(
        _tz_names, default="Europe/Moscow", required=True,
        help="Time zone in which Teleum writes the dates of its call reports.",
    )
    history_months = fields.Integer(
        "Months of history", default=3,
        help="How many months of calls the first synchronisation imports (the current month included).",
    )
    contract = fields.Char(readonly=True, copy=False)
    vivaid = fields.Char("Teleum user ID", readonly=True, copy=False)
    balance = fields.Monetary(readonly=True, copy=False, currency_field="currency_id")
    currency_id = fields.Many2one(
        "res.currency", default=lambda self: self.env.ref("base.RUB", raise_if_not_found=False)
        or self.env.company.currency_id, required=True,
    )
    balance_date = fields.Datetime("Balance read on", readonly=True, copy=False)
    low_balance_threshold = fields.Monetary(
        currency_field="currency_id", default=0.0,
        help="When the balance falls below this amount, telephony managers are told once.",
    )
    low_balance_notified = fields.Boolean(readonly=True, copy=False)
    last_sync = fields.Datetime("Last successful sync", readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
    last_error_date = fields.Datetime(readonly=True, copy=False)
    state = fields.Selection(
        [("new", "Not connected"), ("ok", "Connected"), ("error", "Error")],
        default="new", readonly=True, copy=False, tracking=True,
    )
    needs_human = fields.Boolean(
        readonly=True, copy=False,
        help="Set when Teleum refused the credentials: syncing stops until they are fixed.",
    )
    # Calls cursor: the month being walked, the next offset, the fingerprint of the last row
    # imported (to detect a listing that shifted) and the occurrence counts carried across pages.
    calls_done_until = fields.Date(readonly=True, copy=False)
    calls_cursor_month = fields.Date(readonly=True, copy=False)
    calls_cursor_offset = fields.Integer(readonly=True, copy=False)
    calls_cursor_last = fields.Char(readonly=True, copy=False)
    calls_cursor_carry = fields.Json(readonly=True, copy=False)
    config_synced = fields.Datetime("Configuration synced", readonly=True, copy=False)
    # A month whose reported count equals the calls stored from it is not read again page by page,
    # unless the last pass that read every page is older than FULL_PASS_EVERY (the safety net,
    # teleum_call_import.py).
    calls_full_pass = fields.Datetime("Last full read of the calls", readonly=True, copy=False)
    calls_pass_skipped = fields.Boolean("Current pass skipped unchanged months", readonly=True, copy=False)
    # A sync a person asked for (Sync now): run by the "sync requested" scheduled action, which
    # notifies that person at the end.
    sync_requested_by = fields.Many2one("res.users", "Sync requested by", readonly=True, copy=False)
    sync_requested_at = fields.Datetime("Sync requested on", readonly=True, copy=False)
    sync_request_started = fields.Boolean(readonly=True, copy=False)
    # Progress of the running sync (committed with each page, so other sessions see it).
    sync_progress_month = fields.Date(readonly=True, copy=False)
    sync_progress_pages = fields.Integer(readonly=True, copy=False)
    sync_progress_months_left = fields.Integer(readonly=True, copy=False)
    sync_calls_before = fields.Integer(readonly=True, copy=False)
    last_sync_new_calls = fields.Integer("New calls at the last sync", readonly=True, copy=False)
    sync_running = fields.Boolean(compute="_compute_sync_progress")
    sync_progress = fields.Char("Sync progress", compute="_compute_sync_progress")
    # Set when a probe found no count that must be a month's total (no count, or one that may be
    # the answer's own size): probing is then a wasted request, until the next daily full read.
    calls_count_unreliable = fields.Boolean("Teleum's call counts are not month totals", readonly=True, copy=False)

    number_ids = fields.One2many("teleum.number", "account_id")
    sip_ids = fields.One2many("teleum.sip", "account_id")
    call_count = fields.Integer(compute="_compute_counts")
    number_count = fields.Integer(compute="_compute_counts")
    sip_count = fields.Integer(compute="_compute_counts")

    _sql_constraints = [
        ("history_months_positive", "CHECK(history_months >= 1)", "Import at least one month of history."),
    ]

    def _compute_counts(self):
        for field, model in (("call_count", "teleum.call"), ("number_count", "teleum.number"),
                             ("sip_count", "teleum.sip")):
            groups = self.env[model]._read_group([("account_id", "in", self.ids)], ["account_id"], ["__count"])
            counts = {account.id: count for account, count in groups}
            for account in self:
                account[field] = counts.get(account.id, 0)

    @api.model_create_multi
    def create(self, vals_list):
        accounts = super().create(vals_list)
        accounts._activate_currency()
        return accounts

    def write(self, vals):
        if {"login", "password", "api_url"} & set(vals) and "needs_human" not in vals:
            vals = dict(vals, needs_human=False)  # new credentials: the scheduled syncs try again
        res = super().write(vals)
        if "currency_id" in vals:
            self._activate_currency()
        return res

    def _activate_currency(self):
        """The balance is in roubles while the company may use another currency: the interface shows
        an amount's symbol for active currencies only (res.company activates its own the same way)."""
        inactive = self.sudo().currency_id.filtered(lambda c: not c.active)
        if inactive:
            inactive.active = True

    # ------------------------------------------------------------------ client
    def _get_client(self, quick=False):
        """The API client of this account (credentials read with sudo: users trigger syncs).

        ``quick``: a client for a request a person waits on in a form: short timeout, no retries.
        """
        self.ensure_one()
        account = self.sudo()
        if self._is_neutralized():
            raise UserError(_("This database is a neutralized copy: it does not talk to Teleum."))
        if not account.login or not account.password:
            raise UserError(_("Enter the Teleum e-mail and password of %(account)s first.", account=self.name))
        key = (self.env.cr.dbname, self.id) + (("quick",) if quick else ())
        creds = (account.api_url, account.login, account.password, account.timezone)
        options = self._client_options()
        if quick:
            options.update(timeout=QUICK_TIMEOUT, retries=0)
        with _CLIENTS_LOCK:
            cached = _CLIENTS.get(key)
            if cached and cached[0] == hash(creds):
                return cached[1]
            client = TeleumClient(account.login, account.password, base_url=account.api_url,
                                  timezone=account.timezone, **options)
            _CLIENTS[key] = (hash(creds), client)
            return client

    def _client_options(self):
        """Hook for tests and deployments (timeouts, retries).

        A single number as timeout: Odoo's test harness compares it with an int.
        """
        return {"timeout": 30}

    @api.model
    def _is_neutralized(self):
        return bool(self.env["ir.config_parameter"].sudo().get_param("teleum_telephony.neutralized"))

    def _error_text(self, exc):
        """Plain, translated words for a failure (never a URL or a secret)."""
        code = getattr(exc, "code", None)
        detail = redact(getattr(exc, "message", "") or "")
        if code == "auth":
            return _("Teleum refused the e-mail or password. Check the credentials in Settings.")
        if code == "transient":
            return _("Teleum could not be reached or answered with an error (%(detail)s). "
                     "The next sync will try again.", detail=detail)
        if code == "session":
            return _("Teleum ended the session and a new login failed (%(detail)s).", detail=detail)
        if code == "validation":
            return _("Teleum refused the request: %(detail)s", detail=detail)
        if isinstance(exc, UserError):
            return redact(str(exc.args[0]))
        return _("Unexpected error: %(detail)s", detail=redact(str(exc)))

    def _credentials(self):
        account = self.sudo()
        return (account.api_url, account.login, account.password)

    def _set_error(self, exc, used=None):
        """Show the failure on the account. ``used``: the credentials the failed run logged in
        with; a refusal waits for a human only if they are still the ones stored."""
        text = self._error_text(exc)
        refused = getattr(exc, "code", None) == "auth"
        if refused and used is not None:
            self.invalidate_recordset(["api_url", "login", "password"])
            if self._credentials() != used:  # changed meanwhile: the new ones were not tried
                refused = False
                text = _("The Teleum credentials were changed while a sync was using the previous ones. "
                         "The next sync uses the new ones.")
        self.sudo().write({
            "state": "error",
            "last_error": text,
            "last_error_date": fields.Datetime.now(),
            "needs_human": refused,
        })
        return text

    # ------------------------------------------------------------------ actions
    def action_test_connection(self):
        """One login with the stored credentials; the answer is shown on the account (the
        notification reloads the form). Never raises, so what was saved with it stays saved."""
        self.ensure_one()
        self.check_access("write")  # callable over RPC with any id: only who may change the account
        try:
            info = self._get_client().login()
        except (TeleumError, UserError) as exc:
            text = self._set_error(exc)
            return self._notify(_("Connection failed"), text, "danger")
        self.sudo().write({"contract": info.account, "vivaid": info.vivaid, "state": "ok",
                           "needs_human": False, "last_error": False})
        return self._notify(_("Connected"), _("Connected to Teleum as contract %(contract)s.",
                                               contract=info.account), "success")

    def _notify(self, title, message, kind):
        """A notification; then the form reloads, showing the account as it is now."""
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": title, "message": message, "type": kind, "sticky": kind == "danger",
                       "next": {"type": "ir.actions.act_window_close"}},
        }

    def action_sync(self):
        """Run one complete sync of each account and return when it is done (scripts, tests).

        Callable over RPC with any ids: the caller must be allowed to change the accounts; the
        import itself then runs with the rights the scheduled actions have.
        """
        self.check_access("write")
        for account in self.sudo():
            account._sync_all(budget=None)
        return True

    def action_open_calls(self):
        return self._open("teleum_telephony.teleum_call_action")

    def action_open_numbers(self):
        return self._open("teleum_telephony.teleum_number_action")

    def action_open_sips(self):
        return self._open("teleum_telephony.teleum_sip_action")

    def _open(self, xmlid):
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = [("account_id", "in", self.ids)]
        return action

    # ------------------------------------------------------------------ sync
    def _auto_commit(self):
        return not getattr(threading.current_thread(), "testing", False)

    def _commit(self):
        if self._auto_commit():
            self.env.cr.commit()  # pylint: disable=invalid-commit  # resumable batches

    def _rollback(self):
        """Back to the last commit of the unit (the last page imported); a no-op in tests."""
        if self._auto_commit():
            self.env.cr.rollback()

    def _sync_all(self, budget=None, parts=("config", "calls", "balance")):
        """Sync one account. ``budget``: max call pages for this run (None: finish).

        Returns the number of call pages still known to be pending (0 when complete), None when
        another worker is syncing the account. Never raises for a Teleum failure: it is stored
        on the account instead.
        """
        self.ensure_one()
        with self._sync_lock() as locked:
            if not locked:
                _logger.info("Teleum account %s is already being synced, skipped", self.id)
                return None
            return self._sync_locked(budget, parts)

    def _sync_locked(self, budget, parts):
        # What the caller wrote before (typed credentials…) is its own unit: a failed page below
        # is rolled back to the last commit, and must never take it along.
        self._commit()
        used = self._credentials()
        try:
            remaining = 0
            client = self._get_client()
            if "config" in parts:
                self._sync_config(client)
                self._commit()
            if "calls" in parts:
                if not self.calls_cursor_month and not self.sync_request_started:
                    self._progress_start()  # a new pass (a requested sync counts from the request)
                remaining = self._sync_calls(client, budget=budget)
                if not remaining:
                    self._progress_end()
            if "balance" in parts:
                self._sync_balance(client)
            self.sudo().write({"state": "ok", "last_sync": fields.Datetime.now(),
                               "last_error": False, "needs_human": False})
            self._commit()
            return remaining
        except (TeleumError, UserError) as exc:
            self._rollback()
            text = self._set_error(exc, used)
            _logger.warning("Teleum sync of account %s failed: %s", self.id, text)
            self._commit()
            return 0
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            raise  # Odoo retries the request / the cron runs again
        except Exception as exc:  # a crash in one unit: shown on the account, not only in the logs
            _logger.exception("Teleum sync of account %s crashed", self.id)
            self._rollback()
            self._set_error(exc)
            self._commit()
            return 0

    def _sync_config(self, client):
        info = client.login()
        self.sudo().write({"contract": info.account, "vivaid": info.vivaid})
        self.env["teleum.forward.type"]._sync_from_teleum(self, client)
        self.env["teleum.callerid.type"]._sync_from_teleum(self, client)
        # read once: the tariffs and the numbers' ids both come from getConnectedTariffs
        tariffs = client.get_connected_tariffs()
        self.env["teleum.connected.tariff"]._sync_from_teleum(self, client, tariffs=tariffs)
        self.env["teleum.sip"]._sync_from_teleum(self, client)
        self.env["teleum.number"]._sync_from_teleum(self, client, tariffs=tariffs)
        self.env["teleum.forward"]._sync_from_teleum(self, client)
        self.sudo().config_synced = fields.Datetime.now()

    def _sync_balance(self, client):
        bal = client.balance()
        vals = {"balance": float(bal.balance), "balance_date": fields.Datetime.now()}
        if bal.contract:
            vals["contract"] = bal.contract
        low = self.low_balance_threshold and bal.balance < self.low_balance_threshold
        if low and not self.low_balance_notified:
            self._notify_low_balance(bal.balance)
            vals["low_balance_notified"] = True
        elif not low and self.low_balance_notified:
            vals["low_balance_notified"] = False
        self.sudo().write(vals)

    def _notify_low_balance(self, balance):
        managers = self.env.ref("teleum_telephony.group_teleum_manager").users.filtered(
            lambda u: self.company_id in u.company_ids
        )
        for user in managers:
            self.activity_schedule(
                "mail.mail_activity_data_todo", user_id=user.id,
                summary=_("Teleum balance is low: %(balance)s", balance=balance),
                note=_("The balance of %(account)s fell below %(threshold)s. Top it up in the Teleum cabinet.",
                       account=self.name, threshold=self.low_balance_threshold),
            )

    # ------------------------------------------------------------------ crons
    @api.model
    def _cron_sync(self, parts, budget):
        """Shared body of the scheduled actions: each account is its own unit of work."""
        # An account whose credentials Teleum refused waits for a human (see write()): logging in
        # again with the same refused password every few minutes could get it locked at Teleum.
        accounts = self.search([("needs_human", "=", False)])
        cron = self.env["ir.cron"]
        done = pending = 0
        for account in accounts:
            if account._is_neutralized():
                break
            try:
                pending += account._sync_all(budget=budget, parts=parts) or 0
            except Exception:  # a bug for one account must not stop the others
                _logger.exception("Teleum sync of account %s crashed", account.id)
                account._rollback()
            done += 1
            cron._notify_progress(done=done, remaining=len(accounts) - done + pending)
        return True

    @api.model
    def _cron_sync_calls(self):
        return self._cron_sync(parts=("calls",), budget=20)

    @api.model
    def _cron_sync_config(self):
        return self._cron_sync(parts=("config", "balance"), budget=None)
