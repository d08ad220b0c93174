"""The Teleum connection of a company (``teleum.account``), and the one sync algorithm every
entry point uses.

`action_sync()` (scripts, RPC), *Sync now* (`action_sync_button()`, run by the "sync requested"
cron) and the scheduled actions (`_cron_sync()`) all go through `_sync_all()`: under an advisory
lock (`_sync_lock()`), `_sync_locked()` runs the configuration (`_sync_config()`), the calls
(`_sync_calls()`, page by page) and the balance (`_sync_balance()`). Each page of calls commits
when it is done (outside tests), so a crash loses at most the page being imported, and the next
run resumes where it stopped: the pass's month here (``calls_pass_month``), the position in
that month on its listing (``teleum.call.listing``).

- *Sync now* only records the request and triggers the "sync requested" scheduled action
  (`_cron_sync_requested()`), which runs it batch by batch (`_sync_requested()`) and notifies the
  person who asked (`_finish_request()`). The progress (`sync_progress`) is written with each page
  and read by other sessions. `_sync_lock()` is an advisory lock held across the commits of one
  run; `_locked_ids()` tells which accounts are syncing right now.
- The call pager: Teleum lists calls by month, page by page, with no id and no reliable end
  marker. `_sync_calls()` walks the months still to read (`_calls_months()`), each through its
  ``teleum.call.listing``: the probe skips a month whose count is unchanged
  (``_unchanged()``), else the month is read page by page from where its last read stopped
  (``_read()``). A budgeted or interrupted run resumes there.
- The 5-minute calls cron (`_cron_sync_calls()`) gives each account a turn bounded in pages and
  in time (``teleum_api.time_limit``: no request starts past it), least recently served first,
  so that a slow Teleum account never holds up the others; Teleum's answer time marks an account
  Slow (`_answer_vals()`).
- Copies of the recordings kept in Odoo, for longer than Teleum keeps them.
"""

import base64
import logging
import os
import socket
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytz
from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import config

from odoo.addons.base.models.ir_cron import _intervalTypes

from ..teleum_api import DEFAULT_URL, TeleumClient, TeleumError, TeleumTimeUp, current_time_limit, time_limit
from ..teleum_api.redact import redact

_logger = logging.getLogger(__name__)

# One client (one requests.Session, one Teleum token) per account and credentials, kept across
# cron runs so that a sync does not log in again every few minutes.
_CLIENTS = {}

_CLIENTS_LOCK = threading.Lock()

# What a form asks Teleum while a person waits (the next SIP number) gives up after this many
# seconds, with no retry: a form never hangs on Teleum.
QUICK_TIMEOUT = 3

def _server():
    """This Odoo process, as the account shows who synced it."""
    return "%s (pid %s)" % (socket.gethostname(), os.getpid())


def _run_seconds():
    """The longest run of the calls cron: RUN_SECONDS, and half of Odoo's time limit of a cron job
    (limit_time_real_cron, or limit_time_real when it is -1), which kills a longer one."""
    limit = config.get("limit_time_real_cron") or 0
    if limit < 0:
        limit = config.get("limit_time_real") or 0
    return min(RUN_SECONDS, limit / 2) if limit > 0 else RUN_SECONDS


def _tz_names(*_model):  # Odoo calls a selection function with the model
    return [(tz, tz) for tz in pytz.common_timezones]

_logger = logging.getLogger(__name__)

# Advisory-lock namespace: two workers never sync the same account at once (the lock is held
# across the commits of one run, which a row lock would not survive).
_LOCK_NAMESPACE = 0x7E1E

LOCK_SQL = "SELECT pg_try_advisory_xact_lock(%s, %s)"

# A sync a person asked for runs in the scheduled action "sync requested", this many call pages
# per batch (the cron runs the next batch right away).
REQUEST_BUDGET = 20

_logger = logging.getLogger(__name__)

# Recordings copied per account and cron run (each is a download from Teleum).
RECORDING_BATCH = 50

# Size cap of one recording read into memory (a 2-hour mono MP3 at 32 kbit/s is ~30 MB).
MAX_RECORDING_BYTES = 200 * 1024 * 1024

COPY_RETRY = timedelta(days=1)

# The calls cron (every five minutes) gives each account a turn, bounded in pages and in time, so
# that one slow Teleum account cannot hold up the others' new calls (see _cron_sync_calls()).
CRON_PAGES = 20
TURN_SECONDS = 20
# ... but long enough for this many answers of a slow account: every turn gets somewhere.
TURN_ANSWERS = 6
# One run of the cron: at most this long, and at most half of Odoo's time limit of a cron job.
RUN_SECONDS = 240
# An account whose median answer takes this long is shown as slow.
SLOW_ANSWER_SECONDS = 2.0
# Another worker holds the account's sync lock: its next turn in a minute.
LOCKED_RETRY = timedelta(minutes=1)


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
    balance = fields.Monetary(readonly=True, copy=False, currency_field="currency_id",
                              groups="teleum_telephony.group_teleum_manager")
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
        [("new", "Not connected"), ("ok", "Connected"), ("slow", "Slow"), ("error", "Error")],
        default="new", readonly=True, copy=False, tracking=True,
        help="Slow: Teleum answers, but slowly; its calls arrive over several runs of the scheduled sync.",
    )
    answer_seconds = fields.Float(
        "Teleum answer time (s)", digits=(16, 1), readonly=True, copy=False,
        help="Median time Teleum took to answer a request during the last sync.")
    slow_notice = fields.Char(compute="_compute_slow_notice")
    last_sync_by = fields.Char(
        "Last synced by", readonly=True, copy=False, help="The server (host and process) that ran the last sync.")
    # The calls cron: when this account's last turn began, and when its next one is due.
    calls_turn_at = fields.Datetime("Calls last read on", readonly=True, copy=False)
    calls_due_at = fields.Datetime(readonly=True, copy=False)
    needs_human = fields.Boolean(
        readonly=True, copy=False,
        help="Set when Teleum refused the credentials: syncing stops until they are fixed.",
    )
    # The pass of the calls import: the month an unfinished pass continues from (each month's
    # position, counts and state are on its listing).
    calls_pass_month = fields.Date("Calls pass at", readonly=True, copy=False)
    call_listing_ids = fields.One2many("teleum.call.listing", "account_id", "Months", readonly=True,
                                       groups="teleum_telephony.group_teleum_manager")
    config_synced = fields.Datetime("Configuration synced", readonly=True, copy=False)
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

    number_ids = fields.One2many("teleum.number", "account_id")
    sip_ids = fields.One2many("teleum.sip", "account_id")
    call_count = fields.Integer(compute="_compute_counts")
    number_count = fields.Integer(compute="_compute_counts")
    sip_count = fields.Integer(compute="_compute_counts")

    _sql_constraints = [
        ("history_months_positive", "CHECK(history_months >= 1)", "Import at least one month of history."),
    ]

    keep_recordings = fields.Boolean(
        "Keep copies of recordings",
        help="Download every recording into Odoo as an attachment, so that it stays playable after "
             "Teleum deletes it.",
    )
    recording_retention_days = fields.Integer(
        "Keep copies for (days)", default=365,
        help="Odoo deletes its copy of a recording this many days after the call (0: keep forever).",
    )

    @api.depends("state", "answer_seconds")
    def _compute_slow_notice(self):
        for account in self:
            account.slow_notice = account.state == "slow" and _(
                "Teleum answers slowly (about %(seconds)s s a request): the calls arrive over several runs "
                "of the scheduled sync, without holding up the other accounts.",
                seconds=round(account.answer_seconds, 1))

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
            "tag": "teleum_notification",  # closes the previous one (static/src/js/teleum_live.js)
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
        self._teleum_signal()
        if self._auto_commit():
            self.env.cr.commit()  # pylint: disable=invalid-commit  # resumable batches

    def _teleum_signal(self, users=None):
        """Tell the Settings pages open for ``users`` (default: who asked for the sync) to show the
        account as it is now (static/src/fields/teleum_live_state.js); sent when the transaction commits."""
        for account in self:
            for user in users or account.sudo().sync_requested_by:
                user._bus_send("teleum_account_changed", {"account_id": account.id})

    def _rollback(self):
        """Back to the last commit of the unit (the last page imported); a no-op in tests."""
        if self._auto_commit():
            self.env.cr.rollback()

    def _sync_all(self, budget=None, parts=("config", "calls", "balance"), seconds=None):
        """Sync one account. ``budget``: max call pages for this run (None: finish); ``seconds``:
        no request to Teleum starts after that long (None: no limit).

        Returns the number of call pages still known to be pending (0 when complete), None when
        another worker is syncing the account. Never raises for a Teleum failure: it is stored
        on the account instead.
        """
        self.ensure_one()
        with self._sync_lock() as locked:
            if not locked:
                _logger.info("Teleum account %s is already being synced, skipped", self.id)
                return None
            return self._sync_timed(budget, parts, seconds)

    def _sync_timed(self, budget, parts, seconds=None):
        """_sync_locked() within a time limit (``seconds``; None: none), Teleum's answers timed
        (slow or not: _answer_vals()); the log says which server synced how much."""
        started, calls_before = time.monotonic(), self._calls_stored()
        with time_limit(seconds) as limit:
            remaining = self._sync_locked(budget, parts)
        _logger.info("Teleum account %s synced by %s: %d new calls, %d requests in %.1f s (median answer "
                     "%.2f s)%s", self.id, _server(), self._calls_stored() - calls_before, len(limit.waits),
                     time.monotonic() - started, limit.median, ", time limit reached" if limit.reached else "")
        return remaining

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
                if not self.calls_pass_month and not self.sync_request_started:
                    self._progress_start()  # a new pass (a requested sync counts from the request)
                remaining = self._sync_calls(client, budget=budget)
                if not remaining:
                    self._progress_end()
            if "balance" in parts:
                self._sync_balance(client)
            self.sudo().write({"state": "ok", "last_sync": fields.Datetime.now(),
                               "last_error": False, "needs_human": False, **self._answer_vals()})
            self._commit()
            return remaining
        except TeleumTimeUp:  # the run's time is up (see _cron_sync_calls): it resumes from its last commit
            self._rollback()
            self.sudo().write({"state": "ok", "last_error": False, **self._answer_vals()})
            self._commit()
            return 1
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

    def _answer_vals(self):
        """How fast Teleum answered this run (``time_limit`` of _sync_all): slow, or not."""
        limit = current_time_limit()
        vals = {"last_sync_by": _server()}
        if limit and limit.waits:
            vals["answer_seconds"] = limit.median
            if limit.median >= SLOW_ANSWER_SECONDS:
                vals["state"] = "slow"
        return vals

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
        # the tariffs on offer: PBX › Tariffs lists them before anyone opens the number wizard
        self.env["teleum.tariff"]._sync_catalog(self, client)
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
                # tracked changes (the state: "Error → Connected") are written in the words of the
                # company's language: the chatter keeps them as written
                account = account.with_context(lang=account._teleum_lang())
                pending += account._sync_all(budget=budget, parts=parts) or 0
            except Exception:  # a bug for one account must not stop the others
                _logger.exception("Teleum sync of account %s crashed", account.id)
                account._rollback()
            done += 1
            cron._notify_progress(done=done, remaining=len(accounts) - done + pending)
        return True

    def _teleum_lang(self):
        """The language of the account's chatter when nobody in particular acts (the scheduled syncs,
        whose own context is the system user's): that of the administrator who connected it."""
        self.ensure_one()
        user = self.sudo().create_uid
        return (user.lang if user and not user._is_superuser() else None) or self.company_id.partner_id.lang \
            or self.env.context.get("lang") or "en_US"

    @api.model
    def _cron_sync_calls(self):
        """Every five minutes, each account's new calls: a turn per account, least recently served
        first, bounded in pages and in time (a Teleum answering in seconds gets more time, so that
        it too gets somewhere, but never the whole run). An account left with pages (a first
        history, a slow Teleum) is due again at once and catches up over the next runs; one done
        is due again in half the cron's interval, so that the runs that continue the work do not
        ask Teleum again for the accounts already read.

        A run lasts at most RUN_SECONDS and half of Odoo's time limit of a cron job; when accounts
        are still due it triggers the cron again rather than asking the scheduler for another batch
        of the same job, whose batches all count against that one limit.
        """
        cron = self.env.ref("teleum_telephony.ir_cron_teleum_sync_calls").sudo()
        interval = _intervalTypes[cron.interval_type](cron.interval_number)
        run = _run_seconds()

        def due():
            return [("needs_human", "=", False),
                    "|", ("calls_due_at", "=", False), ("calls_due_at", "<=", fields.Datetime.now())]

        accounts = self.search(due(), order="calls_turn_at ASC NULLS FIRST, id")
        started, done, locked = time.monotonic(), 0, []
        for account in accounts:
            if account._is_neutralized():
                break
            seconds = min(run, max(TURN_SECONDS, TURN_ANSWERS * account.answer_seconds))
            if done and time.monotonic() - started + seconds > run:
                break  # the next run goes on from here
            turn_at = fields.Datetime.now()
            try:
                with account._sync_lock() as free:
                    if not free:  # another worker (Sync now, another server) is syncing it: its row
                        locked.append(account.id)  # is left alone, its turn comes again in a minute
                        _logger.info("Teleum account %s is already being synced, skipped", account.id)
                        continue
                    pending = account._sync_timed(CRON_PAGES, ("calls",), seconds)
                    if pending or account.state == "error":  # pages left, or tried again next run
                        next_turn = fields.Datetime.now()
                    else:
                        next_turn = turn_at + interval / 2
                    account.sudo().write({"calls_turn_at": turn_at, "calls_due_at": next_turn})
                    account._commit()
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:  # left due: the next run tries again
                _logger.info("Calls of Teleum account %s met a concurrent update, retried", account.id)
                account._rollback()
            except Exception:  # a bug for one account must not stop the others
                _logger.exception("Teleum sync of account %s crashed", account.id)
                account._rollback()
            done += 1
            self.env["ir.cron"]._notify_progress(done=done, remaining=len(accounts) - done)
        # No further batch of this job (they would all count against its one time limit): when
        # accounts are still to serve now (a failed one apart: it waits for the next scheduled
        # run; one being synced elsewhere: in a minute), a fresh run right away, in whichever
        # cron worker is free.
        self.env["ir.cron"]._notify_progress(done=done, remaining=0)
        if self.search_count(due() + [("state", "!=", "error"), ("id", "not in", locked)], limit=1):
            cron._trigger()
        elif locked:
            cron._trigger(fields.Datetime.now() + LOCKED_RETRY)
        return True

    @api.model
    def _cron_sync_config(self):
        return self._cron_sync(parts=("config", "balance"), budget=None)

    # ------------------------------------------------------------------ sync now, progress, lock
    # Also read: the lock (pg_locks) and the calls stored, fresh in each request.
    @api.depends("sync_requested_at", "sync_request_started", "sync_progress_month", "sync_progress_pages",
                 "sync_progress_months_left", "sync_calls_before")
    def _compute_sync_progress(self):
        running = self._locked_ids()
        for account in self:
            account.sync_running = account.id in running or account.sync_request_started
            if account.sync_running and account.sync_progress_month:
                account.sync_progress = _(
                    "Syncing: reading %(month)s, pages read: %(pages)s, new calls: %(calls)s, "
                    "months left: %(left)s",
                    month=account.sync_progress_month.strftime("%m/%Y"), pages=account.sync_progress_pages,
                    calls=max(account._calls_stored() - account.sync_calls_before, 0),
                    left=account.sync_progress_months_left)
            elif account.sync_running:
                account.sync_progress = _("Syncing: reading the configuration.")
            elif account.sync_requested_at:
                account.sync_progress = _("Sync requested: it starts in a moment.")
            else:
                account.sync_progress = False

    def _locked_ids(self):
        """Ids of these accounts whose sync lock is held right now (by any worker or server)."""
        ids = [i for i in self.ids if isinstance(i, int)]
        if not ids:
            return set()
        self.env.cr.execute("""
            SELECT objid FROM pg_locks
             WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = %s AND objid = ANY(%s)
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
        """, (_LOCK_NAMESPACE, ids))
        return {row[0] for row in self.env.cr.fetchall()}

    def _calls_stored(self):
        return self.env["teleum.call"].sudo().search_count([("account_id", "=", self.id)])

    def action_sync_button(self):
        """Sync now: hand the sync to the scheduled action and return at once.

        Nothing is imported in the request (a first import can take longer than a request may
        last); the person who asked is notified in the browser when it ends.
        """
        self.check_access("write")
        if self._is_neutralized():
            return self._notify(_("Sync not started"),
                                _("This database is a neutralized copy: it does not talk to Teleum."), "danger")
        missing = self.sudo().filtered(lambda a: not a.login or not a.password)
        if missing:
            return self._notify(_("Sync not started"), _("Enter the Teleum e-mail and password of %(account)s first.",
                                                         account=missing[0].name), "danger")
        self.sudo().write({"sync_requested_by": self.env.uid, "sync_requested_at": fields.Datetime.now()})
        self.env.ref("teleum_telephony.ir_cron_teleum_sync_requested").sudo()._trigger()
        return self._notify(_("Sync started"), _("Teleum data is being synchronised in the background. "
                                                 "You will be notified when it is done."), "info")

    @contextmanager
    def _sync_lock(self):
        """Try to take this account's sync lock; yields whether it was taken.

        A transaction-level advisory lock on a cursor of its own, held open for the run and
        rolled back at the end: nothing that happens to the run's transaction (a failed page
        rolled back, an error that aborted it) can keep it, and a killed worker's connection
        closing releases it too. Different accounts have different locks and run in parallel.
        """
        if self.env.registry.in_test_mode():
            # HttpCase: every cursor is a savepoint on the test's one connection, and closing
            # another would roll back the run itself: a session lock, released after the run.
            self.env.cr.execute("SELECT pg_try_advisory_lock(%s, %s)", (_LOCK_NAMESPACE, self.id))
            locked = self.env.cr.fetchone()[0]
            try:
                yield locked
            finally:
                if locked:
                    self.env.cr.execute("SELECT pg_advisory_unlock(%s, %s)", (_LOCK_NAMESPACE, self.id))
            return
        cr = self.env.registry.cursor()
        try:
            cr.execute(LOCK_SQL, (_LOCK_NAMESPACE, self.id))
            yield cr.fetchone()[0]
        finally:
            try:
                cr.close()  # rolls back: the lock is released
            except Exception:  # a broken connection: the server has ended its session and lock
                _logger.warning("Closing the sync-lock cursor of Teleum account %s failed", self.id, exc_info=True)

    # -- progress ------------------------------------------------------------
    def _progress_start(self):
        self.sudo().write({"sync_progress_month": False, "sync_progress_pages": 0,
                           "sync_progress_months_left": 0, "sync_calls_before": self._calls_stored()})

    def _progress_vals(self, month, months_left, pages):
        """Written with the pass's month after each page (``pages``: 1) or skipped month (0)."""
        return {"sync_progress_month": month, "sync_progress_months_left": months_left,
                "sync_progress_pages": self.sync_progress_pages + pages}

    def _progress_end(self):
        self.sudo().write({"sync_progress_month": False, "sync_progress_months_left": 0,
                           "last_sync_new_calls": max(self._calls_stored() - self.sync_calls_before, 0)})

    # -- a sync a person asked for -------------------------------------------
    def _sync_requested(self):
        """One batch of the sync requested with Sync now.

        Returns 1 while more batches are needed, 0 when it ended (the person who asked is then
        notified), None when another worker is syncing the account.
        """
        self.ensure_one()
        with self._sync_lock() as locked:
            if not locked:
                return None
            requested_at = self.sync_requested_at
            # texts stored and sent in the language of the person who asked
            account = self.with_context(lang=self.sync_requested_by.lang or self.env.lang)
            first = not self.sync_request_started
            if first:
                account._progress_start()
                account.sudo().sync_request_started = True
            parts = ("config", "calls", "balance") if first else ("calls", "balance")
            if account._sync_timed(REQUEST_BUDGET, parts):
                return 1
            account._finish_request(requested_at)
            return 0

    def _finish_request(self, requested_at):
        self.invalidate_recordset(["sync_requested_at", "sync_requested_by"])
        user = self.sync_requested_by
        vals = {"sync_request_started": False}
        if self.sync_requested_at == requested_at:  # not asked again meanwhile (else: it starts afresh)
            vals.update(sync_requested_at=False, sync_requested_by=False)
        self.sudo().write(vals)
        if user:
            if self.state == "error":
                message = {"type": "danger", "sticky": True, "title": _("Teleum sync failed"),
                           "message": self.last_error}
            else:
                message = {"type": "success", "title": _("Teleum sync finished"),
                           "message": _("New calls: %(count)s.", count=self.last_sync_new_calls)}
            user._bus_send("simple_notification", message)
            self._teleum_signal(user)
        self._commit()

    # ------------------------------------------------------------------ cron
    @api.model
    def _cron_sync_requested(self):
        """The scheduled action Sync now triggers: each requested account, batch by batch."""
        cron = self.env["ir.cron"]
        accounts = self.search([("sync_requested_at", "!=", False)])
        retry = done = pending = 0
        for account in accounts:
            try:
                result = account._sync_requested()
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                _logger.info("Requested sync of Teleum account %s met a concurrent update, retried", account.id)
                account._rollback()
                result = None
            except Exception:  # a bug for one account must not stop the others
                _logger.exception("Requested sync of Teleum account %s crashed", account.id)
                account._rollback()
                result = 0
            if result is None:  # busy with another worker (or retried): again in a minute
                retry += 1
            pending += result or 0
            done += 1
            cron._notify_progress(done=done, remaining=len(accounts) - done + pending)
        if retry:
            self.env.ref("teleum_telephony.ir_cron_teleum_sync_requested").sudo()._trigger(
                fields.Datetime.now() + timedelta(minutes=1))
        return True

    # ------------------------------------------------------------------ recordings kept in Odoo

    @api.model
    def _cron_recordings(self):
        """Copy new recordings of the accounts that keep them; delete the copies past retention."""
        cron = self.env["ir.cron"]
        accounts = self.search([])  # pylint: disable=no-search-all  # a handful of accounts per database
        remaining = 0
        for account in accounts:
            if account._is_neutralized():
                break
            try:
                account._purge_recording_copies()
                if account.keep_recordings and not account.needs_human:
                    remaining += account._copy_recordings(RECORDING_BATCH)
                account._commit()
            except Exception:  # one account's failure must not block the others
                _logger.exception("Teleum recordings of account %s: copy failed", account.id)
                if self._auto_commit():
                    self.env.cr.rollback()
        cron._notify_progress(done=len(accounts), remaining=remaining)
        return True

    def _recordings_to_copy(self):
        self.ensure_one()
        domain = [("account_id", "=", self.id), ("attachment_id", "=", False),
                  # a recording that failed is tried again a day later, not at every run ahead of the others
                  "|", ("copy_error_date", "=", False), ("copy_error_date", "<", fields.Datetime.now() - COPY_RETRY)]
        if self.recording_retention_days > 0:
            domain.append(("call_date", ">=", fields.Datetime.now() - timedelta(days=self.recording_retention_days)))
        return self.env["teleum.recording"].sudo().search(domain, order="call_date desc, id desc")

    def _copy_recordings(self, limit):
        """Download up to ``limit`` recordings; returns how many are still waiting."""
        self.ensure_one()
        todo = self._recordings_to_copy()
        client = self._get_client()
        for recording in todo[:limit]:
            try:
                data = self._download_recording(client, recording.file_id)
            except TeleumError as exc:
                _logger.warning("Teleum recording %s of account %s not copied: %s",
                                recording.file_id, self.id, exc)
                recording.copy_error_date = fields.Datetime.now()
                continue
            recording.attachment_id = self.env["ir.attachment"].sudo().create({
                "name": "%s.mp3" % recording.file_id,
                "res_model": "teleum.recording",
                "res_id": recording.id,
                "company_id": self.company_id.id,
                "mimetype": "audio/mpeg",
                "datas": base64.b64encode(data),
            })
            self._commit()
        return max(len(todo) - limit, 0)

    @api.model
    def _download_recording(self, client, file_id):
        return client.download_bytes(client.get_record_link(file_id), max_bytes=MAX_RECORDING_BYTES)

    def _purge_recording_copies(self):
        self.ensure_one()
        if self.recording_retention_days <= 0:
            return
        limit = fields.Datetime.now() - timedelta(days=self.recording_retention_days)
        old = self.env["teleum.recording"].sudo().search([
            ("account_id", "=", self.id), ("attachment_id", "!=", False), ("call_date", "<", limit),
        ])
        if old:
            attachments = old.attachment_id
            old.attachment_id = False
            attachments.unlink()
            _logger.info("Teleum account %s: %d recording copies past retention deleted", self.id, len(old))

    # ------------------------------------------------------------------ the call pager
    def _local_today(self):
        return datetime.now(pytz.timezone(self.timezone or "Europe/Moscow")).date()

    def _calls_months(self):
        """Months still to walk, oldest first: those of the history (``history_months``) that are not
        complete, the previous and the current month always (late records appear there), and any
        other month not complete (asked to be read again, a read to resume, or a month just over
        that is read once more)."""
        today = self._local_today().replace(day=1)
        start = min(today - relativedelta(months=max(self.history_months, 1) - 1), today - relativedelta(months=1))
        listings = self.env["teleum.call.listing"].sudo().search([("account_id", "=", self.id)])
        months = {listing.month for listing in listings if listing.state != "complete"}
        complete = set(listings.mapped("month")) - months
        month = start
        while month <= today:
            if month not in complete:
                months.add(month)
            month += relativedelta(months=1)
        return sorted(months)

    def _sync_calls(self, client, budget=None):
        """Walk the months page by page, committing after each page.

        A pass walks from the oldest month still to read to the current month, each through its
        listing (``teleum.call.listing``). A run with a ``budget`` (cron) stops after that many
        pages; the next run continues the same pass from ``calls_pass_month``, and the month from
        where its listing stopped. Returns 1 while the pass is unfinished, else 0.
        """
        Listing = self.env["teleum.call.listing"]
        ctx = self.env["teleum.call"]._import_context(self)
        months = self._calls_months()
        if self.calls_pass_month:  # continue the pass where the last run stopped
            months = [m for m in months if m >= self.calls_pass_month] or months
        pages = 0
        for index, month in enumerate(months):
            left = len(months) - index - 1
            following = months[index + 1] if left else False
            listing = Listing._of(self, month)
            if listing._unchanged(client):
                self.env["teleum.recording"]._sync_month(self, client, month)
                self._calls_walked(following, month, left, pages=0)
                continue
            reader = listing._read(client, ctx)
            done = False
            while not done:
                if budget is not None and pages >= budget:
                    return 1
                done = next(reader)
                pages += 1
                self._calls_walked(following if done else month, month, left, pages=1)
                if budget is None and self._auto_commit():
                    # Long direct runs: keep the ORM cache from growing with the month.
                    self.env.invalidate_all()
        return 0

    def _calls_walked(self, pass_month, month, months_left, pages):
        """After a page (``pages``: 1) or a skipped month (0): where the pass continues and its
        progress, committed with the page."""
        self.sudo().write(dict(self._progress_vals(month, months_left, pages), calls_pass_month=pass_month))
        self._commit()
