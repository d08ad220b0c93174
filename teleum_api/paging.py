"""When a paged Teleum listing (reportCalls, getFreeNumbers) is complete.

The API page says only "``start`` – first record, ``limit`` – record limit, ``counts`` – number of
records".  It does not say whether the server caps ``limit``, whether ``counts`` is the total of
the listing or the size of this answer, whether it is sent at all, or whether ``start`` is
honoured.  The rules below hold under every one of those readings:

* A short page alone is never the end (a server may cap the rows per answer below ``limit``).
* The end is certain on an empty page, or once the rows read reach a ``counts`` larger than the
  page just received (a count larger than the answer cannot be the answer's own size).
* Anything else is settled by one more request at the next ``start``.
* A server that ignores ``start`` answers that request with the first page again: the first page
  then was the whole listing (see :func:`same_rows`).
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

_logger = logging.getLogger('teleum_api')

P = TypeVar('P')


def listing_ends(rows_read: int, page_rows: int, count: int | None, count_reported: bool) -> bool:
    """True when the page just received (``page_rows`` rows) certainly ends the listing.

    ``rows_read``: rows of the listing read so far, this page included (the next ``start``).
    """
    if page_rows == 0:
        return True
    return bool(count_reported) and count is not None and count > page_rows and rows_read >= count


def count_is_total(page_rows: int, count: int | None, count_reported: bool) -> bool:
    """Whether a page's ``counts`` can be taken as the listing's total.

    Only a count larger than the answer's rows is unambiguous (it cannot be their number), or an
    empty answer at ``start=0`` (the listing is empty, whatever the count means).
    """
    if not count_reported or count is None:
        return False
    return count > page_rows or (page_rows == 0 and count == 0)


def page_key(rows: Iterable[Any]) -> str:
    """A digest of a page's raw rows, to tell an answer that repeats another one."""
    raws = [getattr(row, 'raw', row) for row in rows]
    return hashlib.sha1(json.dumps(raws, sort_keys=True, default=str).encode()).hexdigest()


def same_rows(first: Iterable[Any] | None, page: Iterable[Any]) -> bool:
    """``page`` (asked at a later ``start``) repeats ``first`` (the answer at ``start=0``) row for
    row: the server ignores ``start``, and ``first`` already held the whole listing.

    (In an honest listing, a later page equal to the first one would need every row of the
    first page repeated right after it, identically — the date included.)
    """
    page = list(page)
    if first is None or not page:
        return False
    first = list(first)
    return len(first) == len(page) and page_key(first) == page_key(page)


def walk_pages(fetch: Callable[[int], P], rows: Callable[[P], list], page_size: int,
               start: int) -> Iterator[P]:
    """Pages from ``start`` on, lazily, until the listing certainly ends (the rules above).

    A short page is not the end (the server may cap the rows per answer): an empty page is,
    or reaching a reported count larger than the page.  A page that repeats the first one row
    for row means the server ignores ``start``: the first page was the whole listing, and
    the repeat is dropped (identical rows inside a page -- real duplicates -- are kept), unless a
    count larger than that page says the listing goes on (a run of identical rows).
    """
    if page_size < 1:
        raise ValueError('page_size must be positive')
    offset, first, previous = start, None, None
    while True:
        page = fetch(offset)
        items = rows(page)
        more = page.count_reported and page.count > offset  # the count says rows remain unread
        if (same_rows(first, items) or same_rows(previous, items)) and not (
                more and count_is_total(len(items), page.count, page.count_reported)):
            _logger.info('teleum: start=%d answered a page again (the server ignores start); '
                         'stopping', offset)
            return
        yield page
        if first is None:
            first = items
        previous = items
        offset += len(items)
        if listing_ends(offset, len(items), page.count, page.count_reported):
            return


def row_fingerprint(call: Any, month: Any = None) -> str:
    """Identity of a call row, which has no id. An unreadable row is known by its raw data and the
    month whose listing it came in (its own date may be what is unreadable)."""
    if call.error:
        basis = "%s\x1f%s" % (month, json.dumps(call.raw, sort_keys=True, default=str))
    else:
        basis = "\x1f".join(str(v) for v in (call.call_date_local, call.src, call.dst, call.duration,
                                             call.disposition, call.rdr))
    return hashlib.sha1(basis.encode()).hexdigest()


def carry_to_store(carry: dict, rows: list, month: Any = None) -> dict | bool:
    """The occurrence counts a resumed run needs: rows identical to the next page's first ones
    share the last date of this page (the report is ordered by date)."""
    if not rows:
        return carry or False
    last_date = rows[-1].call_date_local
    tail = {row_fingerprint(r, month) for r in rows if r.call_date_local == last_date}
    return {fp: n for fp, n in carry.items() if fp in tail} or False


def overlap(rows: list, month: Any = None) -> str:
    """The fingerprints (comma-joined) of the rows the next request reads again: the last row;
    when the page ends with identical rows, all of them and the row before -- a row inserted
    before a pair would leave a one-row overlap looking unchanged."""
    tail = [row_fingerprint(rows[-1], month)]
    for row in reversed(rows[:-1]):
        tail.append(row_fingerprint(row, month))
        if tail[-1] != tail[0]:
            break
    tail.reverse()
    if len(tail) == 2 and tail[0] != tail[1]:
        tail = tail[1:]  # no identical rows at the end
    if len(rows) > 1:
        tail = tail[-(len(rows) - 1):]  # the next page must still bring a new row
    return ",".join(tail)
