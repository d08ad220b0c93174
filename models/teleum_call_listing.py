"""What the call import knows of one month of an account (``teleum.call.listing``), and the read
of that month's pages.

Teleum lists calls by month, page by page, with no id and no reliable end marker. The account's
pager (``teleum.account._sync_calls``) walks the months in order, each through its record here:

- ``state``: *To read* (never read to its end, or an administrator asked for it again: it is read
  in full), *Reading* (a read stopped inside the month; ``offset``, ``overlap`` and ``carry`` say
  where it resumes), *Read, still open* (read to its end while the month was the current or the
  previous one: read again, or probed, at every sync, for the records that come late), *Complete*
  (read to its end after it was over: not read again unless asked).
- ``_read()`` reads the pages from where the last read stopped. Each request reads again the rows
  the previous one ended on (``teleum_api.paging.overlap``): if they changed, the listing shifted
  (a late record was inserted) and the month is read again from its start. It also tells a server
  that ignores paging (``_beyond()``). The rows go to ``teleum.call._import_rows()``.
- ``_unchanged()`` is the probe: one row read, and Teleum's count equals the calls stored from the
  month, so the month is not read page by page; unless its last full read is older than
  FULL_PASS_EVERY (the safety net), or a probe found that Teleum's counts are no month totals.

Reading a month again never duplicates a call: each row is found again by its fingerprint and
occurrence (see ``teleum.call``).
"""

from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..teleum_api.paging import carry_to_store, count_is_total, listing_ends, overlap, row_fingerprint, same_rows

CALL_PAGE_SIZE = 1000

FULL_PASS_EVERY = timedelta(hours=24)

# A month whose listing keeps shifting under the reader is given up after this many restarts.
MAX_RESTARTS = 3

STATES = [
    ("to_read", "To read"),
    ("reading", "Reading"),
    ("open", "Read, still open"),
    ("complete", "Complete"),
]

# What asking for a month again resets: it is read from its first row, in full (no probe).
READ_AGAIN = {"state": "to_read", "offset": 0, "overlap": False, "carry": False, "last_full_read": False,
              "count_trust": False}


class TeleumCallListing(models.Model):
    _name = "teleum.call.listing"
    _description = "Teleum Call Listing (month)"
    _order = "account_id, month desc"

    account_id = fields.Many2one("teleum.account", required=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True)
    month = fields.Date(required=True, readonly=True, help="The first day of the month Teleum lists.")
    state = fields.Selection(STATES, required=True, default="to_read", readonly=True)
    offset = fields.Integer("Rows read", readonly=True,
                            help="Rows of the month's listing read by the read that stopped (the next start).")
    overlap = fields.Char(
        readonly=True, help="Fingerprints of the rows the next request reads again, to notice a listing that shifted.")
    carry = fields.Json(readonly=True, help="Occurrence counts of the rows the next page may repeat.")
    teleum_count = fields.Integer("Teleum's count", readonly=True,
                                  help="The number of calls Teleum gave for the month when it was last asked.")
    count_trust = fields.Selection(
        [("total", "Month total"), ("unreliable", "Not a month total")], "Count reliability", readonly=True,
        help="Whether Teleum's count can be taken as the month's total (a month whose count is unchanged "
             "is then not read again page by page). Empty: not known yet.")
    call_count = fields.Integer("Calls stored", compute="_compute_call_count",
                                help="Calls stored in Odoo from this month's listing.")
    last_full_read = fields.Datetime("Last full read", readonly=True,
                                     help="When every page of the month was last read to its end.")

    _sql_constraints = [
        ("account_month_uniq", "unique(account_id, month)", "An account has one listing per month."),
    ]

    @api.depends("month")
    def _compute_display_name(self):
        for listing in self:
            listing.display_name = listing.month.strftime("%m/%Y") if listing.month else False

    def _listing_month(self):
        """The key of the month on its calls (``teleum.call.listing_month``)."""
        return self.month.strftime("%Y-%m")

    @api.depends("account_id", "month")
    def _compute_call_count(self):
        listings = self.filtered("month")
        groups = self.env["teleum.call"].sudo()._read_group(
            [("account_id", "in", listings.account_id.ids),
             ("listing_month", "in", list({listing._listing_month() for listing in listings}))],
            ["account_id", "listing_month"], ["__count"])
        counts = {(account.id, month): count for account, month, count in groups}
        for listing in self:
            listing.call_count = listing.month and counts.get((listing.account_id.id, listing._listing_month()), 0)

    @api.model
    def _of(self, account, month):
        """The listing of ``account``'s ``month``, created on its first walk."""
        listing = self.sudo().search([("account_id", "=", account.id), ("month", "=", month)])
        return listing or self.sudo().create({"account_id": account.id, "month": month})

    def _closed(self):
        """The month is over, and so is the next one (until then late records still come in)."""
        today = self.account_id._local_today().replace(day=1)
        return self.month < today - relativedelta(months=1)

    # ------------------------------------------------------------------ actions
    def action_read_again(self):
        """Read these months again in full, at a sync started now: their calls stay once each."""
        self.check_access("write")
        self.sudo().write(READ_AGAIN)
        return self.account_id.action_sync_button()

    # ------------------------------------------------------------------ the probe
    def _unchanged(self, client):
        """Teleum's count for the month (one row read) equals the calls stored from its listing.

        Only for a month read in full within FULL_PASS_EVERY: call records are only ever added,
        and a new one changes the count; a full read still comes at least that often in case
        that ever is not so.
        """
        self.ensure_one()
        if self.state != "open":  # never read, asked again, or a read to resume
            return False
        if not self.last_full_read or self.last_full_read <= fields.Datetime.now() - FULL_PASS_EVERY:
            if self.count_trust == "unreliable":
                self.count_trust = False  # the daily full read: probing may pay again after it
            return False
        if self.count_trust == "unreliable":  # probing is a wasted request until the daily full read
            return False
        probe = client.report_calls(self.month.year, self.month.month, start=0, limit=1)
        if not count_is_total(len(probe.calls), probe.count, probe.count_reported):
            # no count, or one that may be this answer's size: read the month (and stop probing it)
            self.write({"count_trust": "unreliable", "teleum_count": probe.count or 0})
            return False
        self.write({"count_trust": "total", "teleum_count": probe.count})
        stored = self.env["teleum.call"].sudo().search_count(
            [("account_id", "=", self.account_id.id), ("listing_month", "=", self._listing_month())])
        if probe.count != stored:
            return False
        if self._closed():
            self.state = "complete"
        return True

    # ------------------------------------------------------------------ the read
    def _read(self, client, ctx):
        """Read the month page by page from where the last read stopped.

        A generator: it yields after each page, whose calls and position are then written (not
        committed: the caller commits and decides whether to go on), True for the page that ends
        the month. Raises UserError when the listing keeps shifting.
        """
        self.ensure_one()
        account, month = self.account_id, self.month
        Call, Recording = self.env["teleum.call"], self.env["teleum.recording"]
        # The month's recordings first (a resumed month read them when it started): the new
        # calls get theirs as they are stored, instead of every call with a recording being
        # written a second time after.
        if not self.offset:
            Recording._sync_month(account, client, month)
        ctx["recordings"] = Recording._unpaired(account)
        offset, last, carry = self.offset, self.overlap, dict(self.carry or {})
        restarts = 0
        first = None  # this run's answer at start=0: a later answer repeating it means start is ignored
        while True:
            # Read the rows we ended on again (``last``): if they are not the same, the listing
            # shifted under us (a late record was inserted) and the month is read again.
            reread = last.split(",") if last else []
            start = offset - len(reread) if offset else offset
            page = client.report_calls(month.year, month.month, start=start, limit=CALL_PAGE_SIZE)
            rows = page.calls
            if start < offset and [row_fingerprint(r, month) for r in rows[:len(reread)]] == reread:
                rows = rows[len(reread):]  # where we ended: the listing did not shift
            elif start > 0 and same_rows(first, rows) and not self._beyond(first, page):
                # The server ignores start/limit: its answer at 0 was the whole month (imported).
                rows = []
            elif start < offset:
                restarts += 1
                if restarts > MAX_RESTARTS:
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
            Call._import_rows(account, rows, carry, ctx, month, last_page=done)
            offset += len(rows)
            if rows:
                last = overlap(page.calls, month)
            if done:
                vals = {"state": "complete" if self._closed() else "open", "last_full_read": fields.Datetime.now(),
                        "offset": 0, "overlap": False, "carry": False}
            else:
                vals = {"state": "reading", "offset": offset, "overlap": last,
                        "carry": carry_to_store(carry, rows, month)}
            self.write(vals | self._count_vals(page))
            yield done
            if done:
                return
            self.invalidate_recordset(["state"])
            if self.state == "to_read":  # asked again meanwhile: from the first row
                offset, last, carry, first = 0, False, {}, None

    def _count_vals(self, page):
        """What a page tells of Teleum's count (a probe's finding that it is no total stands)."""
        if not page.count_reported or page.count is None:
            return {}
        vals = {"teleum_count": page.count}
        if self.count_trust != "unreliable" and count_is_total(len(page.calls), page.count, page.count_reported):
            vals["count_trust"] = "total"
        return vals

    @staticmethod
    def _beyond(first, page):
        """Teleum's count says the month holds more calls than the answer at start=0."""
        return count_is_total(len(page.calls), page.count, page.count_reported) and page.count > len(first)
