"""A sync a person asks for, its progress, and the lock that keeps two workers off one account.

*Sync now* (`action_sync_button()`) only records the request and triggers the "sync requested"
scheduled action (`_cron_sync_requested()`), which runs it batch by batch (`_sync_requested()`)
and notifies the person who asked (`_finish_request()`). The progress (`sync_progress`) is
written with each page and read by other sessions. `_sync_lock()` is an advisory lock held
across the commits of one run; `_locked_ids()` tells which accounts are syncing right now.
"""

import logging
from contextlib import contextmanager
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY

_logger = logging.getLogger(__name__)

# Advisory-lock namespace: two workers never sync the same account at once (the lock is held
# across the commits of one run, which a row lock would not survive).
_LOCK_NAMESPACE = 0x7E1E
LOCK_SQL = "SELECT pg_try_advisory_xact_lock(%s, %s)"
# A sync a person asked for runs in the scheduled action "sync requested", this many call pages
# per batch (the cron runs the next batch right away).
REQUEST_BUDGET = 20


class TeleumAccountSync(models.Model):
    _inherit = "teleum.account"

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
        """Written with the calls cursor after each page (``pages``: 1) or skipped month (0)."""
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
            if account._sync_locked(REQUEST_BUDGET, parts):
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
