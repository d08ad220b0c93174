"""The call import's pager: which months and pages of Teleum's call listing to read, and where to resume.

Teleum lists calls by month, page by page, with no id and no reliable end marker. `_sync_calls()`
walks the months still to read (`_calls_months()`), reads each page again from the rows it ended
on (`_overlap()`) to notice a listing that shifted, tells a server that ignores paging
(`_beyond()`), skips a month whose count is unchanged (`_calls_month_unchanged()`, the probe),
and keeps its cursor on the account so that a budgeted or interrupted run resumes there. The
rows of each page go to `teleum.call._import_rows()` (teleum_call_store.py).
"""

from datetime import datetime, timedelta

import pytz
from dateutil.relativedelta import relativedelta

from odoo import _, fields, models
from odoo.exceptions import UserError

from ..teleum_api.paging import count_is_total, listing_ends, same_rows
from .teleum_call_store import TeleumCallStore

CALL_PAGE_SIZE = 1000
FULL_PASS_EVERY = timedelta(hours=24)


class TeleumAccountCallImport(models.Model):
    _inherit = "teleum.account"

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
        if not self.calls_cursor_month and not may_skip and self.calls_count_unreliable:
            self.sudo().calls_count_unreliable = False  # a daily full read: probing may pay again after it
        pages = 0
        for index, month in enumerate(months):
            following = months[index + 1] if index + 1 < len(months) else False
            if self.calls_cursor_month == month:
                offset, last, carry = (self.calls_cursor_offset, self.calls_cursor_last,
                                       dict(self.calls_cursor_carry or {}))
            else:
                offset, last, carry = 0, False, {}
            if not offset and may_skip and not self.calls_count_unreliable and \
                    self._calls_month_unchanged(client, month):
                self.env["teleum.recording"]._sync_month(self, client, month)
                vals = {"calls_cursor_month": following, "calls_cursor_offset": 0, "calls_cursor_last": False,
                        "calls_cursor_carry": False, "calls_pass_skipped": True}
                if month < today - relativedelta(months=1):
                    vals["calls_done_until"] = month
                vals.update(self._progress_vals(month, len(months) - index - 1, pages=0))  # progress
                self.sudo().write(vals)
                self._commit()
                continue
            restarts = 0
            first = None  # this run's answer at start=0: a later answer repeating it means start is ignored
            recordings_read = False
            while True:
                if budget is not None and pages >= budget:
                    return 1
                if not recordings_read:
                    # The month's recordings first (a resumed month read them when it started):
                    # the new calls get theirs as they are stored, instead of every call with a
                    # recording being written a second time after.
                    if not offset:
                        self.env["teleum.recording"]._sync_month(self, client, month)
                    ctx["recordings"] = self.env["teleum.recording"]._unpaired(self)
                    recordings_read = True
                # Read the rows we ended on again (``last``, see _overlap): if they are not the
                # same, the listing shifted under us (a late record was inserted) and the month is
                # read again.
                overlap = last.split(",") if last else []
                start = offset - len(overlap) if offset else offset
                page = client.report_calls(month.year, month.month, start=start, limit=CALL_PAGE_SIZE)
                rows = page.calls
                if start < offset and [Call._fingerprint(r, month) for r in rows[:len(overlap)]] == overlap:
                    rows = rows[len(overlap):]  # where we ended: the listing did not shift
                elif start > 0 and same_rows(first, rows) and not self._beyond(first, page):
                    # The server ignores start/limit: its answer at 0 was the whole month (imported).
                    rows = []
                elif start < offset:
                    restarts += 1
                    if restarts > 3:
                        raise UserError(_("Teleum's call list for %(month)s keeps changing; "
                                          "it will be read again at the next sync.",
                                          month=month.strftime("%m/%Y")))
                    offset, last, carry = 0, False, {}
                    continue
                if start == 0:
                    first = page.calls
                # A short page is not the end (the server may cap its answers): no new row is,
                # or reaching a count larger than the answer (so not the answer's own size).
                done = not rows or listing_ends(offset + len(rows), len(page.calls), page.count, page.count_reported)
                Call._import_rows(self, rows, carry, ctx, month, last_page=done)
                pages += 1
                offset += len(rows)
                if rows:
                    last = self._overlap(page.calls, month)
                if done:
                    vals = {"calls_cursor_month": following, "calls_cursor_offset": 0,
                            "calls_cursor_last": False, "calls_cursor_carry": False}
                    if month < today - relativedelta(months=1):
                        vals["calls_done_until"] = month
                else:
                    vals = {"calls_cursor_month": month, "calls_cursor_offset": offset,
                            "calls_cursor_last": last,
                            "calls_cursor_carry": Call._carry_to_store(carry, rows, month)}
                vals.update(self._progress_vals(month, len(months) - index - 1, pages=1))  # progress
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

    @staticmethod
    def _overlap(rows, month):
        """The fingerprints (comma-joined) of the rows the next request reads again: the last row;
        when the page ends with identical rows, all of them and the row before -- a row inserted
        before a pair would leave a one-row overlap looking unchanged."""
        fingerprint = TeleumCallStore._fingerprint
        tail = [fingerprint(rows[-1], month)]
        for row in reversed(rows[:-1]):
            tail.append(fingerprint(row, month))
            if tail[-1] != tail[0]:
                break
        tail.reverse()
        if len(tail) == 2 and tail[0] != tail[1]:
            tail = tail[1:]  # no identical rows at the end
        if len(rows) > 1:
            tail = tail[-(len(rows) - 1):]  # the next page must still bring a new row
        return ",".join(tail)

    @staticmethod
    def _beyond(first, page):
        """Teleum's count says the month holds more calls than the answer at start=0."""
        return count_is_total(len(page.calls), page.count, page.count_reported) and page.count > len(first)

    def _calls_month_unchanged(self, client, month):
        """Teleum's count for the month (one row read) equals the calls stored from its listing.

        Call records are only ever added, and a new one changes the count; a pass that reads
        every page still runs at least every FULL_PASS_EVERY in case that ever is not so.
        """
        probe = client.report_calls(month.year, month.month, start=0, limit=1)
        if not count_is_total(len(probe.calls), probe.count, probe.count_reported):
            # no count, or one that may be this answer's size: read the month (and stop probing)
            self.sudo().calls_count_unreliable = True
            return False
        stored = self.env["teleum.call"].search_count(
            [("account_id", "=", self.id), ("listing_month", "=", month.strftime("%Y-%m"))])
        return probe.count == stored
