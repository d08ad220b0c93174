"""Switchable paging behaviours of the sandbox's listings (reportCalls, getFreeNumbers).

The API page only says "``start`` – first record, ``limit`` – record limit, ``counts`` – number of
records"; a real server may read that in any of these ways, and the import must survive each:

* ``cap``: at most this many rows per answer, whatever ``limit`` asks for (0: no cap);
* ``counts``: ``"total"`` (the listing's total, the default), ``"page"`` (the rows of this
  answer) or ``"none"`` (no count key at all);
* ``order``: ``"asc"`` (oldest call first, the default) or ``"desc"`` (newest first);
* ``ignore_start``: ``start`` and ``limit`` ignored, the whole listing in every answer;
* ``late_rows``: the next N reportCalls answers are each followed by a late row inserted into
  that month (in turn: a copy of a row of the answer -- an identical pair --, a row newer than
  every other, a row older than every other), so the listing changes while it is being paged.
"""

import threading

COUNTS = ("total", "page", "none")
ORDERS = ("asc", "desc")


class Paging:
    def __init__(self):
        self._lock = threading.Lock()
        self.configure()

    def configure(self, cap=0, counts="total", order="asc", ignore_start=False, late_rows=0):
        cap, late_rows = int(cap or 0), int(late_rows or 0)
        if cap < 0 or late_rows < 0:
            raise ValueError("cap and late_rows must be >= 0")
        if counts not in COUNTS:
            raise ValueError(f"counts must be one of {', '.join(COUNTS)}")
        if order not in ORDERS:
            raise ValueError(f"order must be one of {', '.join(ORDERS)}")
        with self._lock:
            self.cap, self.counts, self.order = cap, counts, order
            self.ignore_start, self.late_rows = bool(ignore_start), late_rows
            self._late_done = 0

    def as_dict(self):
        with self._lock:
            return {"cap": self.cap, "counts": self.counts, "order": self.order,
                    "ignore_start": self.ignore_start, "late_rows": self.late_rows}

    def window(self, rows, start, limit):
        """The rows of one answer (``rows``: the whole listing, oldest first)."""
        if self.order == "desc":
            rows = rows[::-1]
        if self.ignore_start:
            start, limit = 0, 0
        size = min(x for x in (limit, self.cap, len(rows) + 1) if x)
        return rows[start:start + size]

    def count_value(self, total, page_rows):
        """The count to put in the answer, or None for no count key."""
        return {"total": total, "page": page_rows, "none": None}[self.counts]

    def take_late_row(self):
        """Which late row to insert after this answer (0, 1, 2 in turn), or None."""
        with self._lock:
            if self.late_rows <= 0:
                return None
            self.late_rows -= 1
            kind = self._late_done % 3
            self._late_done += 1
            return kind
