"""Fault injection: seeded random faults (``set_faults``) and queued exact ones (``inject``).

A request is identified by its ``cmd`` (or ``'download'`` for recording downloads). When no
methods are given, faults hit every API method except ``login`` and never hit downloads;
``login`` and ``download`` are only hit when named explicitly.
"""

import random
import threading

KINDS = ("error500", "error502", "malformed", "drop", "timeout", "session")
_NOT_BY_DEFAULT = ("login", "download")


def _hits(methods, cmd):
    return cmd not in _NOT_BY_DEFAULT if methods is None else cmd in methods


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self.clear()

    def clear(self):
        with self._lock:
            self._latency, self._rates, self._methods = 0.0, (), None
            self._rng = random.Random(0)
            self._queue = []  # [kind, method, remaining]

    def configure(self, latency=0.0, error_rate=0.0, malformed_rate=0.0, drop_rate=0.0, timeout_rate=0.0,
                  methods=None, seed=0):
        """Replace the random faults; each rate is the probability of that fault per request."""
        rates = (("drop", float(drop_rate)), ("error", float(error_rate)),
                 ("malformed", float(malformed_rate)), ("timeout", float(timeout_rate)))
        if any(not 0.0 <= r <= 1.0 for _, r in rates) or sum(r for _, r in rates) > 1.0 + 1e-9:
            raise ValueError("fault rates must be within 0..1 and add up to at most 1")
        if float(latency) < 0:
            raise ValueError("latency must be >= 0")
        if isinstance(methods, str):
            methods = [methods]
        with self._lock:
            self._latency, self._rates = float(latency), tuple((k, r) for k, r in rates if r > 0)
            self._methods = None if methods is None else frozenset(methods)
            self._rng = random.Random(seed)

    def inject(self, kind, method=None, count=1):
        """Queue ``count`` faults of ``kind`` for the next requests of ``method`` (None: any)."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
        if int(count) < 1:
            raise ValueError("count must be >= 1")
        with self._lock:
            self._queue.append([kind, method, int(count)])

    def pick(self, cmd):
        """-> (latency seconds, fault kind or None) for one request; queued faults come first."""
        with self._lock:
            for entry in self._queue:
                if (entry[1] is None and cmd not in _NOT_BY_DEFAULT) or entry[1] == cmd:
                    entry[2] -= 1
                    if entry[2] <= 0:
                        self._queue.remove(entry)
                    return (self._latency if _hits(self._methods, cmd) else 0.0), entry[0]
            if not _hits(self._methods, cmd):
                return 0.0, None
            kind = None
            if self._rates:
                r = self._rng.random()
                for name, rate in self._rates:
                    if r < rate:
                        kind = name
                        break
                    r -= rate
                if kind == "error":  # a flaky front proxy: 500 or 502
                    kind = "error500" if self._rng.random() < 0.5 else "error502"
            return self._latency, kind
