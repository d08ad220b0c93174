"""The Teleum connection of a company, and the one sync algorithm every entry point uses.

`action_sync()` (button, RPC), the scheduled actions and the tests all go through
`_sync_unit()`; a unit of work commits when it is done (outside tests), so a crash loses at
most the page being imported, and the next run resumes from the cursor stored here.
"""

import logging
import threading
from datetime import datetime, timedelta

import pytz
from dateutil.relativedelta import relativedelta

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

CALL_PAGE_SIZE = 1000
FULL_PASS_EVERY = timedelta(hours=24)
# Advisory-lock namespace: two workers never sync the same account at once (the lock is held
# across the commits of one run, which a row lock would not survive).
_LOCK_NAMESPACE = 0x7E1E


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
    # unless the last pass that read every page is older than FULL_PASS_EVERY (the safety net).
    calls_full_pass = fields.Datetime("Last full read of the calls", readonly=True, copy=False)
    calls_pass_skipped = fields.Boolean("Current pass skipped unchanged months", readonly=True, copy=False)

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

    def write(self, vals):
        if {"login", "password", "api_url"} & set(vals) and "needs_human" not in vals:
            vals = dict(vals, needs_human=False)  # new credentials: the scheduled syncs try again
        return super().write(vals)

    # ------------------------------------------------------------------ client
    def _get_client(self):
        """The API client of this account (credentials read with sudo: users trigger syncs)."""
        self.ensure_one()
        account = self.sudo()
        if self._is_neutralized():
            raise UserError(_("This database is a neutralized copy: it does not talk to Teleum."))
        if not account.login or not account.password:
            raise UserError(_("Enter the Teleum e-mail and password of %(account)s first.", account=self.name))
        key = (self.env.cr.dbname, self.id)
        creds = (account.api_url, account.login, account.password, account.timezone)
        with _CLIENTS_LOCK:
            cached = _CLIENTS.get(key)
            if cached and cached[0] == hash(creds):
                return cached[1]
            client = TeleumClient(account.login, account.password, base_url=account.api_url,
                                  timezone=account.timezone, **self._client_options())
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

    def _set_error(self, exc):
        text = self._error_text(exc)
        self.sudo().write({
            "state": "error",
            "last_error": text,
            "last_error_date": fields.Datetime.now(),
            "needs_human": getattr(exc, "code", None) == "auth",
        })
        return text

    # ------------------------------------------------------------------ actions
    def action_test_connection(self):
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
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": title, "message": message, "type": kind, "sticky": kind == "danger"},
        }

    def action_sync(self):
        """Run one complete sync of each account and return when it is done.

        Callable over RPC with any ids: the caller must be allowed to change the accounts; the
        import itself then runs with the rights the scheduled actions have.
        """
        self.check_access("write")
        for account in self.sudo():
            account._sync_all(budget=None)
        return True

    def action_sync_button(self):
        self.action_sync()
        errors = self.filtered(lambda a: a.state == "error")
        if errors:
            return self._notify(_("Sync failed"), errors[0].last_error, "danger")
        return self._notify(_("Synchronised"), _("Teleum data is up to date."), "success")

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

    def _try_lock(self):
        self.env.cr.execute("SELECT pg_try_advisory_lock(%s, %s)", (_LOCK_NAMESPACE, self.id))
        return self.env.cr.fetchone()[0]

    def _unlock(self):
        self.env.cr.execute("SELECT pg_advisory_unlock(%s, %s)", (_LOCK_NAMESPACE, self.id))

    def _sync_all(self, budget=None, parts=("config", "calls", "balance")):
        """Sync one account. ``budget``: max call pages for this run (None: finish).

        Returns the number of call pages still known to be pending (0 when complete).
        Never raises for a Teleum failure: it is stored on the account instead.
        """
        self.ensure_one()
        if not self._try_lock():
            _logger.info("Teleum account %s is already being synced, skipped", self.id)
            return 0
        try:
            remaining = 0
            client = self._get_client()
            if "config" in parts:
                self._sync_config(client)
                self._commit()
            if "calls" in parts:
                remaining = self._sync_calls(client, budget=budget)
            if "balance" in parts:
                self._sync_balance(client)
            self.sudo().write({"state": "ok", "last_sync": fields.Datetime.now(),
                               "last_error": False, "needs_human": False})
            self._commit()
            return remaining
        except (TeleumError, UserError) as exc:
            self._rollback()
            text = self._set_error(exc)
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
        finally:
            self._unlock()

    def _sync_config(self, client):
        info = client.login()
        self.sudo().write({"contract": info.account, "vivaid": info.vivaid})
        self.env["teleum.forward.type"]._sync_from_teleum(self, client)
        self.env["teleum.callerid.type"]._sync_from_teleum(self, client)
        self.env["teleum.connected.tariff"]._sync_from_teleum(self, client)
        self.env["teleum.sip"]._sync_from_teleum(self, client)
        self.env["teleum.number"]._sync_from_teleum(self, client)
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

    # -- calls ---------------------------------------------------------------
    def _local_today(self):
        return datetime.now(pytz.timezone(self.timezone or "Europe/Moscow")).date()

    def _calls_months(self):
        """Months still to walk: from the cursor (or the history start) to the current month."""
        today = self._local_today().replace(day=1)
        start = today - relativedelta(months=max(self.history_months, 1) - 1)
        if self.calls_done_until:
            start = max(start, self.calls_done_until + relativedelta(months=1))
        # The previous and the current month are always read again: late records appear there.
        start = min(start, today - relativedelta(months=1))
        months = []
        month = start
        while month <= today:
            months.append(month)
            month += relativedelta(months=1)
        return months

    def _sync_calls(self, client, budget=None):
        """Walk the months page by page, committing after each page.

        A pass walks from the oldest month still to read to the current month. A run with a
        ``budget`` (cron) stops after that many pages, leaving the cursor on the account, and
        the next run continues the same pass. Returns 1 while the pass is unfinished, else 0.
        """
        Call = self.env["teleum.call"]
        today = self._local_today().replace(day=1)
        ctx = Call._import_context(self)
        months = self._calls_months()
        if self.calls_cursor_month:  # continue the pass where the last run stopped
            months = [m for m in months if m >= self.calls_cursor_month] or months
        else:
            self.sudo().calls_pass_skipped = False
        may_skip = bool(self.calls_full_pass) and self.calls_full_pass > fields.Datetime.now() - FULL_PASS_EVERY
        pages = 0
        for index, month in enumerate(months):
            following = months[index + 1] if index + 1 < len(months) else False
            if self.calls_cursor_month == month:
                offset, last, carry = (self.calls_cursor_offset, self.calls_cursor_last,
                                       dict(self.calls_cursor_carry or {}))
            else:
                offset, last, carry = 0, False, {}
            if not offset and may_skip and self._calls_month_unchanged(client, month):
                self.env["teleum.recording"]._sync_month(self, client, month)
                vals = {"calls_cursor_month": following, "calls_cursor_offset": 0, "calls_cursor_last": False,
                        "calls_cursor_carry": False, "calls_pass_skipped": True}
                if month < today - relativedelta(months=1):
                    vals["calls_done_until"] = month
                self.sudo().write(vals)
                self._commit()
                continue
            restarts = 0
            while True:
                if budget is not None and pages >= budget:
                    return 1
                # Read one row of overlap: if it is not the row we ended on, the listing
                # shifted under us (a late record was inserted) and the month is read again.
                start = offset - 1 if offset and last else offset
                page = client.report_calls(month.year, month.month, start=start, limit=CALL_PAGE_SIZE)
                rows = page.calls
                if start < offset:
                    if not rows or Call._fingerprint(rows[0], month) != last:
                        restarts += 1
                        if restarts > 3:
                            raise UserError(_("Teleum's call list for %(month)s keeps changing; "
                                              "it will be read again at the next sync.",
                                              month=month.strftime("%m/%Y")))
                        offset, last, carry = 0, False, {}
                        continue
                    rows = rows[1:]
                done = len(page.calls) < CALL_PAGE_SIZE or offset + len(rows) >= page.count
                Call._import_rows(self, rows, carry, ctx, month, last_page=done)
                pages += 1
                offset += len(rows)
                if rows:
                    last = Call._fingerprint(rows[-1], month)
                if done:
                    self.env["teleum.recording"]._sync_month(self, client, month)
                    vals = {"calls_cursor_month": following, "calls_cursor_offset": 0,
                            "calls_cursor_last": False, "calls_cursor_carry": False}
                    if month < today - relativedelta(months=1):
                        vals["calls_done_until"] = month
                else:
                    vals = {"calls_cursor_month": month, "calls_cursor_offset": offset,
                            "calls_cursor_last": last,
                            "calls_cursor_carry": Call._carry_to_store(carry, rows, month)}
                self.sudo().write(vals)
                self._commit()
                if budget is None and self._auto_commit():
                    # Long direct runs: keep the ORM cache from growing with the month.
                    self.env.invalidate_all()
                if done:
                    break
        if not self.calls_pass_skipped:
            self.sudo().calls_full_pass = fields.Datetime.now()
        return 0

    def _calls_month_unchanged(self, client, month):
        """Teleum's count for the month (one row read) equals the calls stored from its listing.

        Call records are only ever added, and a new one changes the count; a pass that reads
        every page still runs at least every FULL_PASS_EVERY in case that ever is not so.
        """
        probe = client.report_calls(month.year, month.month, start=0, limit=1)
        if not probe.count_reported:
            return False
        stored = self.env["teleum.call"].search_count(
            [("account_id", "=", self.id), ("listing_month", "=", month.strftime("%Y-%m"))])
        return probe.count == stored

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
