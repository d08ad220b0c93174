"""Lazy, deterministic call history (CDR) of the sandbox accounts.

A month is generated on first use from ``Random(f"calls:{seed}:{vivaid}:{year}:{month}")`` and
cached as a list of compact tuples sorted by call time; rows become dicts only when a page is
formatted. 100,000 calls a month take well under a second and ~20 MB.

Row tuple: (ts, src, dst, billsec, disposition, rdr, serial, has_record), where ``ts`` counts
seconds since 1970-01-01 00:00 of *Moscow wall-clock time* (so ``time.gmtime(ts)`` gives the local
fields cheaply) and ``serial`` is an Asterisk-style channel counter that makes recording ids
("<unix epoch>.<serial>") unique even for two identical-looking calls.
"""

import bisect
import calendar
import random
import re
import threading
import time
from collections import OrderedDict
from datetime import date, datetime, timedelta
from functools import lru_cache
from operator import itemgetter

from .data import MSK

TS, SRC, DST, BILLSEC, DISP, RDR, SERIAL, REC = range(8)
_ts_key = itemgetter(TS)

ANSWERED, NO_ANSWER, BUSY, FAILED, CONGESTION = "ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION"
FORWARDED = "Переадресация на: "
EXTERNAL_POOL = 200  # calls use the first 200 numbers of external_numbers()
_FILEID = re.compile(r"^(\d{9,11})\.(\d{1,9})$")


def local_ts(dt):
    """Naive Moscow wall-clock datetime -> sandbox ``ts``."""
    return calendar.timegm(dt.timetuple())


@lru_cache(maxsize=4096)
def _utc_offset(hour_ts):
    # cached per hour: Moscow's last DST switch was in 2011, the cache just keeps it cheap
    return int(datetime(*time.gmtime(hour_ts * 3600)[:6], tzinfo=MSK).utcoffset().total_seconds())


def record_id(row):
    return f"{row[TS] - _utc_offset(row[TS] // 3600)}.{row[SERIAL]}"


def format_call(row, with_id=False):
    ts, src, dst, billsec, disp, rdr = row[:6]
    y, mo, d, hh, mm, ss = time.gmtime(ts)[:6]
    out = {"id": record_id(row)} if with_id else {}
    out.update({
        "src": src, "dst": dst, "billsec": f"{billsec // 60:02d}:{billsec % 60:02d}", "disposition": disp,
        "calldate": f"{y:04d}-{mo:02d}-{d:02d} {hh:02d}:{mm:02d}:{ss:02d}",
        "calldatef": f"{d:02d}.{mo:02d}.{y:04d} {hh:02d}:{mm:02d}:{ss:02d}",
        "billsecu": str(billsec),
    })
    if not with_id:  # getRecordsList rows have no rdr on the page
        out["rdr"] = rdr
    return out


def generate_month(rng, n, start, end, profile, externals):
    """``n`` calls between ``start`` and ``end`` (sandbox ts, midnight-aligned), time-ordered."""
    if n <= 0 or end <= start:
        return []
    numbers, sips, targets = profile
    days = (end - start) // 86400
    rand, randrange, choice = rng.random, rng.randrange, rng.choice
    rows = []
    for _ in range(n - 1 if n > 1 else n):  # the last one is the duplicate, see below
        if rand() < 0.85:
            ts = start + randrange(days) * 86400 + 9 * 3600 + randrange(10 * 3600)  # office hours
        else:
            ts = start + randrange(days) * 86400 + randrange(86400)
        r = rand()
        disp = (ANSWERED if r < 0.68 else NO_ANSWER if r < 0.86 else BUSY if r < 0.94
                else FAILED if r < 0.995 else CONGESTION)
        kind, rdr = rand(), ""
        if kind < 0.55:  # inbound to one of our numbers, usually through a forward
            dst = choice(numbers)
            src = choice(externals)
            if dst in targets and rand() < 0.75:
                rdr = FORWARDED + choice(targets[dst])
        elif kind < 0.9 or len(sips) < 2:  # outbound: from a SIP line or with a number as CLI
            src = choice(sips) if rand() < 0.3 else choice(numbers)
            dst = choice(externals)
        else:  # internal, line to line
            src, dst = rng.sample(sips, 2)
        billsec = 0
        if disp == ANSWERED:
            billsec = 3600 + randrange(1800) if rand() < 0.002 else min(int(rng.expovariate(1 / 150)) + 2, 3599)
        rows.append((ts, src, dst, billsec, disp, rdr, disp == ANSWERED and rand() < 0.5))
    if n >= 20 and not any(row[4] == CONGESTION for row in rows):
        i = randrange(len(rows))  # guarantee the odd disposition shows up every month
        rows[i] = rows[i][:3] + (0, CONGESTION, rows[i][5], False)
    rows.sort(key=_ts_key)
    if n > 1:  # two real calls that look exactly the same (same second, parties, duration)
        k = randrange(len(rows))
        rows.insert(k + 1, rows[k])
    base = randrange(100, 5000)
    return [(ts, src, dst, bs, disp, rdr, base + i, rec) for i, (ts, src, dst, bs, disp, rdr, rec) in enumerate(rows)]


class _Month:
    __slots__ = ("filtered", "rows")

    def __init__(self, rows):
        self.rows = rows
        self.filtered = {}  # disposition -> rows, invalidated by add_call


class CallStore:
    def __init__(self, seed, months, calls_per_month, today, externals, max_cached=12):
        self.seed, self.calls_per_month, self.externals = seed, calls_per_month, externals
        self._end = local_ts(datetime.combine(today + timedelta(days=1), datetime.min.time()))
        # The clock when the sandbox started: no call is later (see _before_clock). Fixed at
        # start so that the history does not change while the sandbox runs.
        self._clock = local_ts(datetime.now(MSK).replace(tzinfo=None, microsecond=0))
        self._window = set()
        y, m = today.year, today.month
        for _ in range(months):
            self._window.add((y, m))
            y, m = (y, m - 1) if m > 1 else (y - 1, 12)
        self._lock = threading.Lock()
        self._cache = OrderedDict()  # LRU of (vivaid, y, m) -> _Month
        self._max_cached = max_cached
        self._added = {}             # (vivaid, y, m) -> rows added by add_call (survive eviction)
        self._serial = 900000        # channel counter of added calls

    def _month(self, account, y, m):
        key = (account.vivaid, y, m)
        with self._lock:
            month = self._cache.get(key)
            if month is not None:
                self._cache.move_to_end(key)
                return month
            rows = []
            if (y, m) in self._window:
                start = local_ts(datetime(y, m, 1))
                end = min(local_ts(datetime(y + m // 12, m % 12 + 1, 1)), self._end)
                rng = random.Random(f"calls:{self.seed}:{account.vivaid}:{y}:{m}")
                rows = generate_month(rng, self.calls_per_month, start, end, account.call_profile, self.externals)
                if end > self._clock:
                    rows = self._before_clock(rows, start)
            for row in self._added.get(key, ()):
                bisect.insort(rows, row, key=_ts_key)
            month = self._cache[key] = _Month(rows)
            while len(self._cache) > self._max_cached:
                self._cache.popitem(last=False)
            return month

    def _before_clock(self, rows, start):
        """The calls generated for the rest of today, squeezed into its hours already past (in
        order): the month keeps its ``calls_per_month`` calls and none lies in the future."""
        clock = self._clock
        low = max(start, clock - clock % 86400)  # today's midnight
        end = max(self._end, clock + 1)
        return [row if row[TS] < low else (low + (row[TS] - low) * (clock - low) // (end - low),) + row[1:]
                for row in rows]

    def rows(self, account, y, m, disposition=None):
        """Rows of a month, oldest first, optionally of one disposition (shared: don't mutate)."""
        month = self._month(account, y, m)
        if not disposition:
            return month.rows
        with self._lock:
            rows = month.filtered.get(disposition)
            if rows is None:
                rows = month.filtered[disposition] = [r for r in month.rows if r[DISP] == disposition]
            return rows

    def find_record(self, account, fileid):
        match = _FILEID.match(fileid or "")
        if not match:
            return None
        epoch, serial = int(match[1]), int(match[2])
        local = datetime.fromtimestamp(epoch, MSK)
        ts = local_ts(local.replace(tzinfo=None))
        rows = self._month(account, local.year, local.month).rows
        i = bisect.bisect_left(rows, ts, key=_ts_key)
        while i < len(rows) and rows[i][TS] == ts:
            if rows[i][SERIAL] == serial and rows[i][REC]:
                return rows[i]
            i += 1
        return None

    def add(self, account, src, dst, calldate=None, billsec=0, disposition=ANSWERED, rdr="", record=False,
            billsecu=None):
        """Insert a late CDR row after the existing rows of the same second; returns the tuple."""
        if calldate is None:
            calldate = datetime.now(MSK).replace(tzinfo=None, microsecond=0)
        elif isinstance(calldate, str):
            calldate = datetime.strptime(calldate.strip(), "%Y-%m-%d %H:%M:%S")
        elif isinstance(calldate, date) and not isinstance(calldate, datetime):
            calldate = datetime.combine(calldate, datetime.min.time())
        elif calldate.tzinfo is not None:
            calldate = calldate.astimezone(MSK).replace(tzinfo=None)
        if billsecu is not None:
            billsec = billsecu
        if isinstance(billsec, str) and ":" in billsec:
            minutes, seconds = billsec.split(":")
            billsec = int(minutes) * 60 + int(seconds)
        key = (account.vivaid, calldate.year, calldate.month)
        with self._lock:
            self._serial += 1
            row = (local_ts(calldate.replace(microsecond=0)), str(src), str(dst), int(billsec), str(disposition),
                   str(rdr), self._serial, bool(record))
            self._added.setdefault(key, []).append(row)
            month = self._cache.get(key)
            if month is not None:
                bisect.insort(month.rows, row, key=_ts_key)
                month.filtered.clear()
        return row
