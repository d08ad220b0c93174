"""The client's paging iterators (reportCalls, getFreeNumbers) under every reading a server could
give the page's "start – first record, limit – record limit, counts – number of records"."""
from __future__ import annotations

import math
from collections import Counter

import pytest

from teleum_api.paging import count_is_total, listing_ends, same_rows

CALL = {"src": "78123232323", "dst": "78123343232", "billsec": "01:45", "disposition": "ANSWERED",
        "calldatef": "17.07.2015 12:12:35", "billsecu": "105", "rdr": ""}


def call_rows(n):
    """``n`` rows, oldest first, with one pair of identical rows (real duplicates happen)."""
    rows = [dict(CALL, src=str(79000000000 + i), calldate=f"2015-07-{1 + i // 100:02d} 10:{i % 100 // 60:02d}:"
                 f"{i % 60:02d}") for i in range(n)]
    if n > 3:
        rows[2] = dict(rows[1])
    return rows


def number_rows(n):
    return [{"id": str(500 + i), "number": f"7812323{i:04d}", "numberform": "", "ntype": "0", "nregion": "2",
             "cost": "0"} for i in range(n)]


class Server:
    """A reportCalls/getFreeNumbers endpoint in one paging mode (like sandbox/paging.py)."""

    def __init__(self, rows, cap=0, counts="total", order="asc", ignore_start=False, late=0, kind="calls"):
        self.rows, self.cap, self.counts, self.order = list(rows), cap, counts, order
        self.ignore_start, self.late, self.kind = ignore_start, late, kind
        self.original = list(self.rows)

    def __call__(self, params):
        start, limit = int(params["start"]), int(params["limit"])
        rows = self.rows[::-1] if self.order == "desc" else self.rows
        if self.ignore_start:
            start, limit = 0, 0
        size = min(x for x in (limit, self.cap, len(rows) + 1) if x)
        page = rows[start:start + size]
        count = {"total": len(rows), "page": len(page), "none": None}[self.counts]
        if self.kind == "calls":
            body = {"vivaid": "1", "calls": page}
            key = "counts"
        else:
            body = {"vivaid": "1", "numbersSeries": [], "freeNumbers": page}
            key = "numbersCount"
        if count is not None:
            body[key] = str(count)
        if self.late and page:  # a late row lands in the part already read
            self.late -= 1
            self.rows.insert(len(self.rows) // 2, dict(page[0], src="7999" + str(len(self.rows))))
        return body

    def listing(self):
        return self.rows[::-1] if self.order == "desc" else self.rows


MODES = {
    "plain": {},
    "cap 100": {"cap": 100},
    "cap 7": {"cap": 7},
    "cap 7 newest first": {"cap": 7, "order": "desc"},
    "counts = answer rows": {"cap": 7, "counts": "page"},
    "no counts": {"cap": 7, "counts": "none"},
    "no counts, no cap": {"counts": "none"},
    "start/limit ignored": {"ignore_start": True},
    "start/limit ignored, no counts": {"ignore_start": True, "counts": "none"},
    "start/limit ignored, counts = answer rows": {"ignore_start": True, "counts": "page"},
}


def pages_needed(n, page_size, mode):
    if mode.get("ignore_start") or n == 0:
        return 1
    return math.ceil(n / min(mode.get("cap") or page_size, page_size))


@pytest.mark.parametrize("n", [0, 1, 7, 42, 250, 500])
@pytest.mark.parametrize("mode", MODES.values(), ids=MODES.keys())
def test_report_calls_every_mode(api, client, mode, n):
    server = Server(call_rows(n), **mode)
    api.on("reportCalls", server)
    got = [c.raw for c in client.iter_calls(2015, 7, page_size=100)]
    assert got == server.listing(), "every row once, in the server's order"
    pages = pages_needed(n, 100, mode)
    assert pages <= api.count("reportCalls") <= pages + 1


@pytest.mark.parametrize("n", [0, 1, 49, 50, 120])
@pytest.mark.parametrize("mode", MODES.values(), ids=MODES.keys())
def test_free_numbers_every_mode(api, client, mode, n):
    server = Server(number_rows(n), kind="numbers", **mode)
    api.on("getFreeNumbers", server)
    got = [x.id for x in client.iter_free_numbers(2, 0, page_size=50)]
    assert got == [r["id"] for r in server.listing()]
    pages = pages_needed(n, 50, mode)
    assert pages <= api.count("getFreeNumbers") <= pages + 1


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("mode", MODES.values(), ids=MODES.keys())
def test_late_rows_lose_nothing(api, client, mode, order):
    """Rows inserted while the listing is paged shift it: the iterator may see a row twice (the
    import tells it by its overlap row), but every row that was there is read and it ends."""
    server = Server(call_rows(60), **dict(mode, order=order, late=3))
    api.on("reportCalls", server)
    got = Counter(c.raw["src"] for c in client.iter_calls(2015, 7, page_size=20))
    assert not Counter(r["src"] for r in server.original) - got
    assert api.count("reportCalls") < 30


def test_count_of_a_month_capped_at_the_first_page():
    # the case: 100 rows per answer whatever limit says, counts = the month's 800
    assert not listing_ends(100, 100, 800, True)
    assert listing_ends(800, 100, 800, True)
    assert not listing_ends(60, 60, 60, True), "count = the page: ambiguous, one more request"
    assert listing_ends(60, 0, None, False)
    assert count_is_total(1, 800, True) and not count_is_total(1, 1, True) and count_is_total(0, 0, True)
    assert not count_is_total(5, None, False)
    assert same_rows([{"a": 1}, {"a": 1}], [{"a": 1}, {"a": 1}]) and not same_rows(None, [{"a": 1}])
