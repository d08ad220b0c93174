"""dev/test-servers' check: two Odoo servers with cron threads import several accounts together.

    python dev/check_servers.py DB SANDBOX_API_URL LOG_A LOG_B

Wakes the servers' cron threads (the NOTIFY Odoo itself sends when a cron is triggered), waits
until every requested sync ended and the calls cron has served every account, then checks: each
account holds exactly the calls the sandbox lists (none twice), none failed, no sync lock is
held, and each server's log shows it imported some of them (the account's log line "synced by
<host> (pid N): K new calls").
"""

import os
import re
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import psycopg2
import requests

DB, SANDBOX_URL, LOGS = sys.argv[1], sys.argv[2], sys.argv[3:]
WAIT = 360
LOCK_NAMESPACE = 0x7E1E  # models/teleum_account.py
LINE = re.compile(r"Teleum account (\d+) synced by (.+?): (\d+) new calls")


def connect(dbname):
    return psycopg2.connect(dbname=dbname, host=os.environ.get("PGHOST", "127.0.0.1"),
                            port=os.environ["PGPORT"], user="odoo", connect_timeout=10)


def expected(logins):
    """The calls the sandbox lists for each login over the 3 months imported (Moscow time)."""
    today = datetime.now(ZoneInfo("Europe/Moscow")).date()
    months = [(today.year + (today.month - 1 - k) // 12, (today.month - 1 - k) % 12 + 1) for k in range(3)]
    base = SANDBOX_URL.split("/api/")[0]
    return {login: sum(len(requests.get(f"{base}/_sandbox/call_rows", timeout=30,
                                        params={"email": login, "y": y, "m": m}).json()["calls"])
                       for y, m in months)
            for login in logins}


def state(cr):
    cr.execute("""
        SELECT a.id, a.login, a.state, a.last_error, a.sync_requested_at IS NOT NULL OR a.sync_request_started,
               COALESCE(a.calls_due_at > now() AT TIME ZONE 'UTC', false), a.last_sync_by,
               (SELECT count(*) FROM teleum_call c WHERE c.account_id = a.id)
          FROM teleum_account a ORDER BY a.id""")
    accounts = cr.fetchall()
    cr.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND granted",
               [LOCK_NAMESPACE])
    return accounts, cr.fetchone()[0]


def main():
    with connect("postgres") as conn, conn.cursor() as cr:
        cr.execute("SELECT pg_notify('cron_trigger', %s)", [DB])
    conn.close()
    conn = connect(DB)
    conn.autocommit = True
    cr = conn.cursor()
    accounts, _locks = state(cr)
    want = expected([a[1] for a in accounts])
    print("calls listed by the sandbox:", ", ".join(f"{login} {n}" for login, n in want.items()))
    started = time.monotonic()
    last_print = 0
    while True:
        accounts, locks = state(cr)
        done = all(not a[4] and a[5] and a[7] == want[a[1]] for a in accounts) and not locks
        elapsed = time.monotonic() - started
        if done or elapsed > WAIT or elapsed - last_print >= 15:
            last_print = elapsed
            print(f"{elapsed:5.0f} s: " + ", ".join(f"#{a[0]} {a[7]}/{want[a[1]]} {a[2]}" for a in accounts)
                  + f"; sync locks held: {locks}", flush=True)
        if done:
            break
        if elapsed > WAIT:
            raise SystemExit(f"not every account was imported within {WAIT} s")
        time.sleep(1)
    failures = []
    cr.execute("""SELECT account_id, fingerprint, occurrence, count(*) FROM teleum_call
                   GROUP BY 1, 2, 3 HAVING count(*) > 1""")
    if cr.fetchall():
        failures.append("a call was imported twice")
    for account in accounts:
        if account[2] not in ("ok", "slow"):
            failures.append(f"account #{account[0]} is {account[2]}: {account[3]}")
    per_server = {}
    for path in LOGS:
        with open(path, encoding="utf-8", errors="replace") as log:
            for match in LINE.finditer(log.read()):
                per_server.setdefault(path, {}).setdefault(match[2], 0)
                per_server[path][match[2]] += int(match[3])
    for path in LOGS:
        servers = per_server.get(path, {})
        print(f"{os.path.basename(path)}: " + (", ".join(f"{who} imported {n} calls" for who, n in servers.items())
                                              or "nothing"))
        if not sum(servers.values()):
            failures.append(f"the server of {os.path.basename(path)} imported nothing")
    total = sum(a[7] for a in accounts)
    logged = sum(n for servers in per_server.values() for n in servers.values())
    # (fewer by the logs when a run committed pages and then met a concurrent update)
    print(f"calls in the database: {total} (the sandbox lists {sum(want.values())}); by the logs: {logged}")
    print("last synced by: " + ", ".join(f"#{a[0]} {a[6]}" for a in accounts))
    if logged > total:
        failures.append("the servers' logs claim more calls than are stored")
    if failures:
        raise SystemExit("; ".join(failures))


if __name__ == "__main__":
    main()
