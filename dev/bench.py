"""Call-import benchmark, run inside one Odoo process by ``dev/bench`` (see there for options).

Steps, all on the database given (a fresh copy with the addon installed):

1. an account on the sandbox (history_months=1) and its configuration (numbers, SIP lines), so
   the import sees our numbers as the production sync does;
2. ``--contacts`` res.partner with phone numbers from the sandbox's pool of outside callers, in
   mixed formats (set-up: batched ORM create, tracking off; not measured);
3. the measured first import: ``account._sync_all(budget=None, parts=("calls",))``, committing
   per page as in production (this is no test thread), RSS of this process sampled every 50 ms;
4. the same again with unchanged data (second sync: each month's count is probed), then the
   daily safety pass that reads every page again (shown for information);
5. the bare-create baseline: the same rows, turned into the import's values beforehand, stored
   by ``teleum.call.create()`` in pages of the same size (on a scratch account, deleted after),
   then, for information, create() given only the required fields of those rows;
6. one contact with ``--contact-calls`` calls: the SQL behind its smart-button count and its
   first page of calls, with EXPLAIN ANALYZE.

Prints one table on stdout; progress goes to stderr.
"""

import argparse
import cProfile
import gc
import json
import math
import os
import pstats
import re
import sys
import threading
import time

import psutil
import psycopg2
import requests
from bench_screens import Screens, print_screens  # dev/, next to this script

import odoo
from odoo import SUPERUSER_ID, api
from odoo.sql_db import connection_info_for
from odoo.tools import SQL, config

BENCH_PREFIX = "Bench contact"
CALLER_POOL = 200  # the sandbox's calls use the first 200 numbers of its pool of outside callers


def progress(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


class RssSampler(threading.Thread):
    """RSS of this process every ``interval`` seconds; ``window()`` gives the peak since ``mark()``."""

    def __init__(self, interval=0.05):
        super().__init__(daemon=True, name="bench-rss")
        self.proc = psutil.Process()
        self.interval = interval
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._peak = 0

    def run(self):
        while not self._stop.wait(self.interval):
            rss = self.proc.memory_info().rss
            with self._lock:
                self._peak = max(self._peak, rss)

    def mark(self):
        with self._lock:
            self._peak = self.proc.memory_info().rss

    def peak(self):
        with self._lock:
            return max(self._peak, self.proc.memory_info().rss)

    def stop(self):
        self._stop.set()


def idle_rss(seconds=1.0):
    gc.collect()
    proc, samples = psutil.Process(), []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        samples.append(proc.memory_info().rss)
        time.sleep(0.05)
    return sorted(samples)[len(samples) // 2]


def vacuum(dbname, table):
    """VACUUM ANALYZE outside any transaction (what autovacuum does after a bulk insert)."""
    _name, info = connection_info_for(dbname)
    cnx = psycopg2.connect(**info)
    try:
        cnx.autocommit = True
        with cnx.cursor() as cur:
            cur.execute(f"VACUUM ANALYZE {table}")
    finally:
        cnx.close()


def mb(n):
    return n / (1024 * 1024)


def phone_format(number, i):
    """Mixed formats people type: +7 912 345-67-89, 8 (912) 345-67-89, 79123456789."""
    nat = number[1:]
    kind = i % 3
    if kind == 0:
        return f"+7 {nat[:3]} {nat[3:6]}-{nat[6:8]}-{nat[8:]}"
    if kind == 1:
        return f"8 ({nat[:3]}) {nat[3:6]}-{nat[6:8]}-{nat[8:]}"
    return number


class Sandbox:
    def __init__(self, api_url):
        self.base = api_url.split("/api/v3/")[0].rstrip("/") + "/_sandbox/"

    def stats(self):
        return requests.get(self.base + "stats", timeout=30).json()["requests"]

    def reset_stats(self):
        requests.post(self.base + "reset_stats", timeout=30).raise_for_status()

    def external_numbers(self, n):
        return requests.get(self.base + "external_numbers", params={"n": n}, timeout=120).json()["numbers"]


class Bench:
    def __init__(self, args):
        self.args = args
        self.sandbox = Sandbox(args.sandbox)
        self.results = {}
        self.notes = []

    # ------------------------------------------------------------------ set-up
    def setup(self, env):
        a = self.args
        env.company.country_id = env.ref("base.ru")
        Account = env["teleum.account"]
        account = Account.create({
            "name": "Teleum (bench)", "api_url": a.sandbox, "login": "demo@example.com",
            "password": "989864", "history_months": 1, "company_id": env.company.id,
        })
        env.cr.commit()
        t = time.perf_counter()
        account._sync_all(budget=None, parts=("config",))
        if account.state != "ok":
            raise SystemExit(f"config sync failed: {account.last_error}")
        progress(f"account {account.id} connected, configuration synced in {time.perf_counter() - t:.1f}s "
                 f"({len(account.number_ids)} numbers, {len(account.sip_ids)} SIP lines)")
        # Agents on the SIP lines (their calls, call-backs) and a salesperson on our numbers, who
        # gets a lead for each recent unknown caller: what a CRM that uses the addon looks like.
        agents = env["res.users"].with_context(no_reset_password=True).create([{
            "name": f"Bench agent {i + 1}", "login": f"bench_agent_{i + 1}",
            "groups_id": [(6, 0, [env.ref("base.group_user").id, env.ref("teleum_telephony.group_teleum_own").id,
                                  env.ref("sales_team.group_sale_salesman").id])],
        } for i in range(5)])
        for i, sip in enumerate(account.sip_ids.sorted("num")):
            sip.user_id = agents[i % len(agents)]
        account.number_ids.write({"auto_lead": True, "lead_user_id": env.ref("base.user_admin").id})
        # Contacts: outside callers of the sandbox first (those the calls use), in mixed formats;
        # one caller in ten of the sandbox's pool is left unknown (leads instead of contacts).
        t = time.perf_counter()
        numbers = self.sandbox.external_numbers(a.contacts + a.contacts // 10 + 20) if a.contacts else []
        numbers = [n for i, n in enumerate(numbers) if i >= CALLER_POOL or i % 10 != 9][:a.contacts]
        Partner = env["res.partner"].with_context(
            tracking_disable=True, mail_create_nolog=True, mail_create_nosubscribe=True, mail_notrack=True,
        )
        batch = 2000
        for start in range(0, len(numbers), batch):
            vals = []
            for i in range(start, min(start + batch, len(numbers))):
                field = "mobile" if i % 7 == 3 else "phone"
                vals.append({"name": f"{BENCH_PREFIX} {i + 1}", field: phone_format(numbers[i], i)})
            Partner.create(vals)
            env.cr.commit()
            env.invalidate_all()
            if start // batch % 5 == 4:
                progress(f"  {start + len(vals)} contacts")
        progress(f"{len(numbers)} contacts created in {time.perf_counter() - t:.1f}s")
        env.cr.execute("ANALYZE res_partner")
        env.cr.commit()
        return account.id

    # ------------------------------------------------------------------ import
    def sync(self, env, account_id, label, sampler, profile_path=None, timers=None):
        account = env["teleum.account"].browse(account_id)
        env.invalidate_all()
        idle = idle_rss()
        self.sandbox.reset_stats()
        sampler.mark()
        prof = cProfile.Profile() if profile_path else None
        if timers:
            timers.reset()
        t = time.perf_counter()
        if prof:
            prof.enable()
        account._sync_all(budget=None, parts=("calls",))
        if prof:
            prof.disable()
        elapsed = time.perf_counter() - t
        peak = sampler.peak()
        after = idle_rss(0.5)
        stats = self.sandbox.stats()
        env.invalidate_all()
        if account.state != "ok":
            raise SystemExit(f"{label} failed: {account.last_error}")
        if prof:
            prof.dump_stats(profile_path)
            with open(profile_path + ".txt", "w") as out:
                ps = pstats.Stats(prof, stream=out).strip_dirs()
                out.write("== by cumulative time ==\n")
                ps.sort_stats("cumulative").print_stats(60)
                out.write("\n== by own time ==\n")
                ps.sort_stats("tottime").print_stats(40)
            progress(f"profile of the {label}: {profile_path} (+ .txt summary)")
        env.cr.execute("SELECT count(*) FROM teleum_call WHERE account_id = %s", (account_id,))
        count = env.cr.fetchone()[0]
        progress(f"{label}: {elapsed:.1f}s, {count} calls stored, requests {stats}")
        split = timers.snapshot() if timers else ({}, {})
        return {"time": elapsed, "idle": idle, "peak": peak, "after": after, "stats": stats, "count": count,
                "split": split[0], "split_calls": split[1]}

    # ------------------------------------------------------------------ bare create
    def bare_create(self, env, account_id):
        """The import's own values for the same rows, stored by create() alone, page by page."""
        from odoo.addons.teleum_telephony.models import teleum_call_listing as ta
        from odoo.addons.teleum_telephony.teleum_api import TeleumClient
        from odoo.addons.teleum_telephony.teleum_api.paging import row_fingerprint

        account = env["teleum.account"].browse(account_id)
        Call = env["teleum.call"]
        scratch = env["teleum.account"].create({
            "name": "Bench scratch", "api_url": self.args.sandbox, "history_months": 1,
            "company_id": account.company_id.id,
        })
        env.cr.commit()
        client = TeleumClient("demo@example.com", "989864", base_url=self.args.sandbox,
                              timezone=account.timezone, timeout=60)
        ctx = Call._import_context(account)
        pages = []
        t = time.perf_counter()
        for month in account._calls_months():
            offset, carry = 0, {}
            while True:
                page = client.report_calls(month.year, month.month, start=offset, limit=ta.CALL_PAGE_SIZE)
                vals_list = []
                for row in page.calls:
                    fp = row_fingerprint(row, month)
                    carry[fp] = carry.get(fp, 0) + 1
                    vals_list.append(Call._values_from_row(scratch, fp, carry[fp], row, ctx))
                Call._match_partners(vals_list, scratch)
                if vals_list:
                    pages.append(vals_list)
                offset += len(page.calls)
                if len(page.calls) < ta.CALL_PAGE_SIZE or offset >= page.count:
                    break
        rows = sum(len(p) for p in pages)
        progress(f"bare create: {rows} rows prepared in {time.perf_counter() - t:.1f}s (not measured)")
        vacuum(env.cr.dbname, "teleum_call")
        env.invalidate_all()
        gc.collect()
        t = time.perf_counter()
        for vals_list in pages:
            Call.create(vals_list)
            env.flush_all()
            env.cr.commit()
            env.invalidate_all()
        elapsed = time.perf_counter() - t
        progress(f"bare create: {rows} rows in {elapsed:.1f}s")
        env.cr.execute("DELETE FROM teleum_call WHERE account_id = %s", (scratch.id,))
        env.cr.commit()
        vacuum(env.cr.dbname, "teleum_call")
        result = {"time": elapsed, "rows": rows}
        # For information: create() given only the required fields of the same rows (the least a
        # create() can be given; the goal compares with the rows the import stores, above).
        required = [fn for fn, f in Call._fields.items() if f.required and f.store and fn not in ("id",)]
        gc.collect()
        t = time.perf_counter()
        for vals_list in pages:
            Call.create([{fn: vals[fn] for fn in required if fn in vals} for vals in vals_list])
            env.flush_all()
            env.cr.commit()
            env.invalidate_all()
        result["required_time"] = time.perf_counter() - t
        result["required_fields"] = sorted(required)
        progress(f"bare create, required fields only ({', '.join(sorted(required))}): {rows} rows in "
                 f"{result['required_time']:.1f}s")
        env.cr.execute("DELETE FROM teleum_call WHERE account_id = %s", (scratch.id,))
        env.cr.commit()
        vacuum(env.cr.dbname, "teleum_call")
        # The floor PostgreSQL sets: the same rows (the computed columns filled in beforehand)
        # with one plain multi-row INSERT per page, into teleum_call, then into a copy of it
        # without any index or foreign key: the difference is what the index set costs.
        sql_pages = [self.sql_rows(env, vals_list) for vals_list in pages]
        result["sql"] = self.sql_insert(env, "teleum_call", sql_pages)
        env.cr.execute("DELETE FROM teleum_call WHERE account_id = %s", (scratch.id,))
        scratch.unlink()
        env.cr.commit()
        vacuum(env.cr.dbname, "teleum_call")
        env.cr.execute("CREATE TABLE bench_call_bare (LIKE teleum_call INCLUDING DEFAULTS)")
        env.cr.commit()
        result["sql_bare"] = self.sql_insert(env, "bench_call_bare", sql_pages)
        progress(f"plain SQL INSERT: {result['sql']:.1f}s into teleum_call, {result['sql_bare']:.1f}s "
                 "into a copy without indexes or foreign keys")
        result["per_index"] = self.index_costs(env, sql_pages)
        env.cr.execute("DROP TABLE bench_call_bare")
        env.cr.commit()
        return result

    @staticmethod
    def sql_rows(env, vals_list):
        Call = env["teleum.call"]
        now, uid = env.cr.now(), env.uid
        out = []
        for vals in vals_list:
            row = dict(vals, create_uid=uid, create_date=now, write_uid=uid, write_date=now,
                       has_recording=False)
            row.setdefault("lead_id", False)  # only the rows of callers known as leads have it
            row["missed"] = Call._missed_values(vals["direction"], vals["status"])
            out.append({k: None if v is False and k not in ("missed", "has_recording") else v
                        for k, v in row.items()})
        return out

    @staticmethod
    def sql_insert(env, table, sql_pages):
        from psycopg2.extras import execute_values
        cr = env.cr
        t = time.perf_counter()
        for rows in sql_pages:
            cols = list(rows[0])
            execute_values(cr._obj, f"INSERT INTO {table} ({', '.join(cols)}) VALUES %s",
                           [tuple(r[c] for c in cols) for r in rows], page_size=len(rows))
            cr.commit()
        return time.perf_counter() - t

    def index_costs(self, env, sql_pages, sample=20000):
        """Insert cost of each index of teleum_call alone: a sample of the rows into the bare copy
        with only that index, against the bare copy without it; likewise the calls analysis' statistics trigger."""
        cr = env.cr
        sample_pages, n = [], 0
        for rows in sql_pages:
            if n >= sample:
                break
            sample_pages.append(rows)
            n += len(rows)
        cr.execute("""SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x
                        JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
                       WHERE t.relname = 'teleum_call' ORDER BY i.relname""")
        indexes = cr.fetchall()
        costs, bases = {}, []

        def timed_insert(definition):
            cr.execute("DROP INDEX IF EXISTS bench_one_idx")
            cr.execute("TRUNCATE bench_call_bare")
            if definition:
                cr.execute(re.sub(r"^CREATE (UNIQUE )?INDEX \S+ ON public\.teleum_call",
                                  r"CREATE \1INDEX bench_one_idx ON bench_call_bare", definition))
            cr.commit()
            return self.sql_insert(env, "bench_call_bare", sample_pages)

        for name, definition in indexes:
            # alternated with the copy without it, the best of two each: the machine's other work
            # only adds time, and a base measured next to each index keeps the drift out
            base, alone = [], []
            for _run in range(2):
                base.append(timed_insert(None))
                alone.append(timed_insert(definition))
            costs[name] = min(alone) - min(base)
            bases.append(min(base))
        cr.execute("DROP INDEX IF EXISTS bench_one_idx")
        # the calls analysis' statement trigger, alone, writing into a copy of its table
        from odoo.addons.teleum_telephony.report.teleum_call_report import _trigger_function
        cr.execute("CREATE TABLE bench_call_stat (LIKE teleum_call_stat INCLUDING ALL)")
        cr.execute(_trigger_function(env["teleum.call"]._teleum_returnable_sql()).replace(
            "teleum_call_stat", "bench_call_stat"))
        cr.execute("""CREATE TRIGGER bench_hourly AFTER INSERT ON bench_call_bare REFERENCING NEW TABLE AS new_rows
                      FOR EACH STATEMENT EXECUTE FUNCTION bench_call_stat_sync()""")
        cr.commit()
        base, alone = [], []
        for _run in range(2):  # against the copy without it, alternated as for the indexes
            cr.execute("ALTER TABLE bench_call_bare DISABLE TRIGGER bench_hourly")
            base.append(timed_insert(None))
            cr.execute("ALTER TABLE bench_call_bare ENABLE TRIGGER bench_hourly")
            cr.execute("TRUNCATE bench_call_stat")
            alone.append(timed_insert(None))
        costs["teleum_call_stat (statement trigger)"] = min(alone) - min(base)
        bases.append(min(base))
        cr.execute("DROP TRIGGER bench_hourly ON bench_call_bare")
        cr.execute("DROP FUNCTION bench_call_stat_sync()")
        cr.execute("DROP TABLE bench_call_stat")
        cr.commit()
        base = min(bases)
        progress(f"per-index insert cost measured on {n} rows")
        return {"rows": n, "base": base, "costs": costs}

    def run_import(self, env, account_id, r, sampler, timers):
        a, bench, cr = self.args, self, env.cr
        r["first"] = bench.sync(env, account_id, "first import", sampler, a.profile or None, timers)
        r["conditions"] = bench.conditions(env, account_id)
        cr.execute("""SELECT count(*), md5(string_agg(c.fingerprint || ':' || c.occurrence || ':' || r.file_id, ','
                                  ORDER BY c.fingerprint, c.occurrence))
                        FROM teleum_call c JOIN teleum_recording r ON r.id = c.recording_id AND r.call_id = c.id""")
        r["recording_links"] = list(cr.fetchone())
        progress(f"recordings linked to calls: {r['recording_links'][0]} (digest {r['recording_links'][1]})")
        r["second"] = bench.sync(env, account_id, "second sync", sampler, None, timers)
        # the daily safety pass reads every page again even when the counts are unchanged
        env["teleum.call.listing"].search([("account_id", "=", account_id)]).last_full_read = False
        cr.commit()
        r["full"] = bench.sync(env, account_id, "full re-read", sampler, None, timers)
        r["bare"] = bench.bare_create(env, account_id)
        r["plans"] = bench.contact_plans(env)
        cr.commit()

    def conditions(self, env, account_id):
        """What the first import met: recent calls, callers known as contacts, leads, call-backs."""
        cr = env.cr
        cr.execute("""SELECT count(*),
                             count(*) FILTER (WHERE call_date >= now() AT TIME ZONE 'UTC' - interval '3 days'),
                             count(*) FILTER (WHERE remote_number IS NOT NULL),
                             count(*) FILTER (WHERE partner_id IS NOT NULL),
                             count(*) FILTER (WHERE lead_id IS NOT NULL),
                             count(DISTINCT remote_number),
                             count(DISTINCT remote_number) FILTER (WHERE partner_id IS NOT NULL)
                        FROM teleum_call WHERE account_id = %s""", (account_id,))
        keys = ("calls", "recent", "with_remote", "with_contact", "with_lead", "callers", "known_callers")
        out = dict(zip(keys, cr.fetchone()))
        cr.execute("SELECT count(*) FROM crm_lead")
        out["leads"] = cr.fetchone()[0]
        callback = env.ref("teleum_telephony.mail_activity_type_call_back")
        cr.execute("SELECT count(*) FROM mail_activity WHERE activity_type_id = %s", (callback.id,))
        out["callbacks_open"] = cr.fetchone()[0]
        progress(f"first import met: {out}")
        return out

    # ------------------------------------------------------------------ query plans
    def contact_plans(self, env):
        want = self.args.contact_calls
        cr = env.cr
        cr.execute("""SELECT partner_id, count(*) FROM teleum_call WHERE partner_id IS NOT NULL
                      GROUP BY partner_id ORDER BY 2 DESC, 1 LIMIT 1""")
        row = cr.fetchone()
        if not row:
            return {"note": "no call matched a contact", "plans": []}
        partner_id, natural = row
        moved = 0
        if natural < want:
            moved = want - natural
            cr.execute("""UPDATE teleum_call SET partner_id = %s WHERE id IN (
                            SELECT id FROM teleum_call WHERE partner_id IS DISTINCT FROM %s
                            ORDER BY md5(id::text) LIMIT %s)""", (partner_id, partner_id, moved))
            cr.commit()
        cr.execute("ANALYZE teleum_call")
        cr.execute("ANALYZE res_partner")
        cr.commit()
        admin = env.ref("base.user_admin")
        uenv = env(user=admin.id, su=False, context={"allowed_company_ids": [env.company.id]})
        partner = uenv["res.partner"].browse(partner_id)
        Call = uenv["teleum.call"]
        domain = partner.action_teleum_calls()["domain"]
        plans = []
        for label, run in (
            ("smart-button count", lambda: partner.teleum_call_count),
            ("first page (80, newest first)", lambda: Call.search(domain, limit=80)),
        ):
            uenv.invalidate_all()
            captured = capture_sql(uenv.cr, run)
            calls = [q for q in captured if re.search(r'\bFROM\s+"teleum_call"', q[0])]
            for sql, params in calls:
                cr.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = [r[0] for r in cr.fetchall()]
                seq = [ln.strip() for ln in plan if "Seq Scan" in ln]
                seq_calls = [ln for ln in seq if "on teleum_call" in ln]
                ms = next((float(m[1]) for ln in plan if (m := re.search(r"Execution Time: ([\d.]+)", ln))), None)
                plans.append({"label": label, "sql": cr.mogrify(sql, params).decode(), "plan": plan,
                              "seq": seq, "seq_calls": seq_calls, "ms": ms})
        count = partner.teleum_call_count
        return {"partner_id": partner_id, "natural": natural, "moved": moved, "count": count, "plans": plans}


class Timers:
    """Inclusive wall time spent in a few methods of the import path (wrapped in this process only)."""

    def __init__(self):
        self.total = {}
        self.calls = {}

    def wrap(self, owner, name, label):
        original = getattr(owner, name)
        timers = self

        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                timers.total[label] = timers.total.get(label, 0.0) + time.perf_counter() - t
                timers.calls[label] = timers.calls.get(label, 0) + 1

        setattr(owner, name, timed)

    def reset(self):
        self.total.clear()
        self.calls.clear()

    def snapshot(self):
        return dict(self.total), dict(self.calls)


def install_timers(env):
    from odoo.addons.teleum_telephony.teleum_api import TeleumClient
    timers = Timers()
    reg = env.registry
    timers.wrap(TeleumClient, "report_calls", "reportCalls: HTTP + parse")
    timers.wrap(TeleumClient, "get_records_list", "getRecordsList: HTTP + parse")
    timers.wrap(reg["teleum.call"], "_import_rows", "_import_rows (all)")
    timers.wrap(reg["teleum.call"], "_values_from_row", "_values_from_row")
    timers.wrap(reg["teleum.call"], "_match_partners", "_match_partners")
    timers.wrap(reg["teleum.call"], "create", "teleum.call create()")
    timers.wrap(reg["teleum.call"], "_store_calls", "teleum.call _store_calls (a page)")
    timers.wrap(reg["teleum.call"], "_teleum_callbacks", "call-backs (settled)")
    timers.wrap(reg["teleum.call"], "_after_import", "_after_import()")
    timers.wrap(reg["teleum.recording"], "_sync_month", "recordings _sync_month (all)")
    timers.wrap(reg["teleum.recording"], "_link_calls", "recordings _link_calls")
    timers.wrap(reg["teleum.recording"], "_store", "recordings stored (one INSERT a month)")
    timers.wrap(reg["teleum.call"], "_teleum_post_notes", "chatter notes (_teleum_post_notes)")
    timers.wrap(reg["teleum.call"], "_teleum_create_notes", "chatter notes: _message_create()")
    timers.wrap(reg["teleum.call"], "_teleum_link_leads", "leads linked (_teleum_link_leads)")
    timers.wrap(reg["teleum.call"], "_teleum_auto_leads", "automatic leads")
    timers.wrap(reg["teleum.call"], "_teleum_defer_callbacks", "call-backs deferred")
    timers.wrap(reg["teleum.account"], "_commit", "commits (flush + COMMIT)")
    return timers


def capture_sql(cr, func):
    """Run ``func`` and return the (query, params) it sent to PostgreSQL."""
    captured = []
    original = cr.execute

    def spy(query, params=None, log_exceptions=True):
        if isinstance(query, SQL):
            captured.append((query.code, tuple(query.params)))
        else:
            captured.append((query, params))
        return original(query, params, log_exceptions)

    cr.execute = spy
    try:
        func()
    finally:
        del cr.execute
    return captured


def add_rule(env):
    """An automation rule "on save" of calls whose action does a little work per call, as admins write them."""
    action = env["ir.actions.server"].create({
        "name": "Bench: note long calls", "model_id": env["ir.model"]._get_id("teleum.call"), "state": "code",
        "code": "records.filtered(lambda c: c.duration > 3600).mapped('remote_number')",
    })
    env["base.automation"].create({
        "name": "Bench: every call", "model_id": env["ir.model"]._get_id("teleum.call"),
        "trigger": "on_create_or_write", "action_server_ids": [(6, 0, action.ids)],
    })
    progress("automation rule on teleum.call created")


def import_paths(env):
    """How the import stores each model in this database: set-based, or the ORM and why."""
    from odoo.addons.teleum_telephony.tools.sql_create import set_based_refusal

    paths = {}
    for model in ("teleum.call", "teleum.recording"):
        reason = set_based_refusal(env[model])
        paths[model] = "ORM create()/write(): " + reason if reason else "set-based (COPY / UPDATE): nothing extends it"
    paths["mail.message"] = "ORM: mail.thread._message_create() (always)"
    return paths


def expected_pages(count, size):
    """Pages the sync reads for a month of ``count`` rows: each page after the first re-reads the
    last row of the previous one (the check that the listing did not shift), so it brings size-1."""
    return 1 + math.ceil(max(0, count - size) / (size - 1))


def verdict(ok):
    return "PASS" if ok else "MISS"


def print_table(a, r):
    first, second, bare, plans = r["first"], r["second"], r["bare"], r["plans"]
    n = first["count"]
    stats = first["stats"]
    rc = stats.get("reportCalls", 0)
    months = r["months"]
    data_pages = sum(expected_pages(c, r["page_size"]) for c in months.values())
    other = sum(v for k, v in stats.items() if k != "reportCalls")
    total = sum(stats.values())
    # import / bare create as the issue states it: rate of the import over rate of bare create
    rate_ratio = (n / first["time"]) / (bare["rows"] / bare["time"]) if first["time"] and bare["time"] else 0
    resync_ratio = first["time"] / second["time"] if second["time"] else float("inf")
    growth = first["peak"] - first["idle"]
    lines = []
    w = lines.append
    w("")
    w(f"Teleum call-import benchmark — {n:,} calls in {len(months)} month(s) read, {r['contacts']:,} contacts, "
      f"page size {r['page_size']}, {os.cpu_count()} CPUs")
    w(f"recordings linked to calls: {r['recording_links'][0]:,} (digest {r['recording_links'][1]})")
    for model, path in r["paths"].items():
        w(f"import path of {model}: {path}")
    w("=" * 100)
    fmt = "{:<52} {:>22}  {}"
    w(fmt.format("measure", "value", "goal"))
    w("-" * 100)
    w(fmt.format("first import: wall time", f"{first['time']:.1f} s", ""))
    w(fmt.format("first import: calls per second", f"{n / first['time']:,.0f} /s", ""))
    w(fmt.format("bare create() of the same rows: wall time", f"{bare['time']:.1f} s", ""))
    w(fmt.format("bare create(): calls per second", f"{bare['rows'] / bare['time']:,.0f} /s", ""))
    if bare.get("required_time"):
        w(fmt.format("  create() given the required fields only: wall time", f"{bare['required_time']:.1f} s",
                     f"import / it: {bare['required_time'] / first['time']:.2f} (information)"))
    w(fmt.format("import / bare create (rate; = bare time / import time)", f"{rate_ratio:.2f}",
                 f">= 1.0  {verdict(rate_ratio >= 1.0)}"))
    sql_rate = bare["rows"] / bare["sql"]
    w(fmt.format("plain SQL INSERT of the same rows: wall time", f"{bare['sql']:.1f} s",
                 "one multi-row INSERT a page, the floor PostgreSQL sets"))
    w(fmt.format("plain SQL INSERT: rows per second", f"{sql_rate:,.0f} /s", ""))
    w(fmt.format("import / plain SQL INSERT (rate)", f"{(n / first['time']) / sql_rate:.2f}",
                 f"the import takes {first['time'] / bare['sql']:.1f}x the INSERT's time "
                 f"(+{first['time'] - bare['sql']:.1f} s)"))
    w(fmt.format("  the same INSERT into a copy without indexes or FKs", f"{bare['sql_bare']:.1f} s", ""))
    w(fmt.format("  insert cost of the index set and foreign keys", f"{bare['sql'] - bare['sql_bare']:.1f} s",
                 f"{100 * (bare['sql'] - bare['sql_bare']) / bare['sql']:.0f}% of the plain INSERT"))
    per = bare["per_index"]
    w(fmt.format(f"  each index alone ({per['rows']:,} rows; bare copy {per['base']:.2f} s)", "", ""))
    for name, extra in sorted(per["costs"].items(), key=lambda kv: -kv[1]):
        w(fmt.format(f"    {name}", f"{extra:+.2f} s", f"{100 * extra / per['base']:+.0f}%"
                     + ("  (within the noise)" if abs(extra) < 0.02 * per["base"] else "")))
    c = r["conditions"]
    w(fmt.format("conditions: calls within the call-back window (3 days)", f"{c['recent']:,}",
                 f"{100 * c['recent'] / max(c['calls'], 1):.0f}% of the calls"))
    w(fmt.format("conditions: outside callers known as contacts",
                 f"{c['known_callers']:,} of {c['callers']:,}",
                 f"{100 * c['with_contact'] / max(c['with_remote'], 1):.0f}% of calls with an outside party"))
    w(fmt.format("conditions: calls linked to leads; leads; open call-backs",
                 f"{c['with_lead']:,}; {c['leads']:,}; {c['callbacks_open']:,}", ""))
    w(fmt.format("where the first import's time goes (inclusive)", "", ""))
    split, ncalls = first.get("split", {}), first.get("split_calls", {})
    for k, v in split.items():
        w(fmt.format(f"    {k} [{ncalls.get(k, 0)}x]", f"{v:.1f} s", f"{100 * v / first['time']:.0f}%"))
    w(fmt.format("HTTP requests by method (first import)", "", ""))
    for k in sorted(stats):
        w(fmt.format(f"    {k}", stats[k], ""))
    w(fmt.format("    total", total, ""))
    w(fmt.format("pages of calls (per month read, 1-row overlap)",
                 f"{data_pages} ({' + '.join(str(expected_pages(c, r['page_size'])) for c in months.values())})", ""))
    const = total - data_pages
    w(fmt.format("requests - pages", f"{const}",
                 f"constant, nothing per call/contact  {verdict(rc == data_pages and other <= 2 * len(months) + 2)}"))
    w(fmt.format("second sync (unchanged data): wall time", f"{second['time']:.1f} s", ""))
    w(fmt.format("second sync: requests", f"{sum(second['stats'].values())} "
                 f"({', '.join(f'{k} {v}' for k, v in sorted(second['stats'].items()))})", ""))
    w(fmt.format("first import / second sync", f"{resync_ratio:.1f}x", f">= 10x  {verdict(resync_ratio >= 10)}"))
    full = r["full"]
    w(fmt.format("daily full re-read of the unchanged data: wall time", f"{full['time']:.1f} s", ""))
    w(fmt.format("daily full re-read: requests", f"{sum(full['stats'].values())} "
                 f"({', '.join(f'{k} {v}' for k, v in sorted(full['stats'].items()))})", ""))
    w(fmt.format("first import / daily full re-read", f"{first['time'] / full['time']:.1f}x", ""))
    w(fmt.format("RSS of the Odoo process: idle before import", f"{mb(first['idle']):.0f} MB", ""))
    w(fmt.format("RSS: peak during import", f"{mb(first['peak']):.0f} MB", ""))
    w(fmt.format("RSS: growth during import (peak - idle)", f"{mb(growth):.0f} MB",
                 f"< 200 MB  {verdict(growth < 200 * 1024 * 1024)}"))
    w(fmt.format("RSS: idle after import", f"{mb(first['after']):.0f} MB", ""))
    w(fmt.format("RSS: peak during second sync (growth)", f"{mb(second['peak']):.0f} MB "
                 f"(+{mb(second['peak'] - second['idle']):.0f})", ""))
    if plans.get("plans"):
        w(fmt.format(f"contact #{plans['partner_id']}: calls (smart button)", f"{plans['count']:,}", ""))
        if plans["moved"]:
            w(f"    (its number matched {plans['natural']} calls; {plans['moved']} more calls were reassigned to it "
              f"in SQL after the import to reach {a.contact_calls})")
        all_ok = True
        for p in plans["plans"]:
            ok = not p["seq_calls"]
            all_ok &= ok
            w(fmt.format(f"  {p['label']}: query time", f"{p['ms']:.2f} ms",
                         f"index, no Seq Scan on teleum_call  {verdict(ok)}"))
        w(fmt.format("contact's count and first page use indexes", "", verdict(all_ok)))
    else:
        w(f"contact queries: {plans.get('note')}")
        all_ok = False
    w("-" * 100)
    goals = {
        "import / bare create >= 1.0": rate_ratio >= 1.0,
        "requests = pages + constant": rc == data_pages and other <= 2 * len(months) + 2,
        "re-sync >= 10x faster": resync_ratio >= 10,
        "memory growth < 200 MB": growth < 200 * 1024 * 1024,
        "contact queries use indexes": all_ok,
    }
    w("goals: " + ", ".join(f"{k}: {verdict(v)}" for k, v in goals.items()))
    w("")
    for p in plans.get("plans", []):
        w(f"-- {p['label']}")
        w(p["sql"])
        for ln in p["plan"]:
            w("   " + ln)
        w("")
    print("\n".join(lines), flush=True)
    return goals


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--conf", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--sandbox", required=True, help="the sandbox API URL (…/api/v3/)")
    parser.add_argument("--calls", type=int, default=100000)
    parser.add_argument("--contacts", type=int, default=50000)
    parser.add_argument("--contact-calls", type=int, default=2000)
    parser.add_argument("--server-cap", type=int, default=0, help="the sandbox's cap on rows per answer (0: none)")
    parser.add_argument("--profile", default="", help="write a cProfile of the first import to this path")
    parser.add_argument("--json", default="", help="also write the raw results as JSON here")
    parser.add_argument("--scale", type=int, default=0, help="then put this many calls in with SQL and time screens")
    parser.add_argument("--screens-only", action="store_true", help="skip the import part")
    parser.add_argument("--rule", action="store_true", help="an automation rule on teleum.call before the import")
    a = parser.parse_args()

    config.parse_config(["-c", a.conf, "-d", a.db, "--log-level=warn"])
    odoo.netsvc.init_logger()
    from odoo.modules.registry import Registry
    registry = Registry(a.db)
    from odoo.addons.teleum_telephony.models import teleum_call_listing as ta

    bench = Bench(a)
    sampler = RssSampler()
    sampler.start()
    # a server capping its answers makes the pages that size, whatever the import asks for
    r = {"page_size": min(ta.CALL_PAGE_SIZE, a.server_cap or ta.CALL_PAGE_SIZE), "contacts": a.contacts}
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        account_id = bench.setup(env)
        if a.rule:
            add_rule(env)
        r["paths"] = import_paths(env)
        cr.commit()
        timers = install_timers(env)
        account = env["teleum.account"].browse(account_id)
        client = account._get_client()
        r["months"] = {m.strftime("%Y-%m"): client.report_calls(m.year, m.month, start=0, limit=1).count
                       for m in account._calls_months()}
        progress(f"months the import reads: {r['months']}")
        cr.commit()
        if a.screens_only:
            r = {"screens_only": True}
        else:
            bench.run_import(env, account_id, r, sampler, timers)
        if a.scale:
            screens = Screens(env, account_id, a.scale, capture_sql)
            r["scale"] = screens.fill()
            vacuum(cr.dbname, "teleum_call")  # autovacuum's work after a bulk insert
            vacuum(cr.dbname, "teleum_call_stat")  # the fill's rows counted by the trigger: its statistics too
            cr.execute("SELECT count(*) FROM teleum_call")
            r["scale"]["total"] = cr.fetchone()[0]
            r["scale"]["screens"] = screens.run()
    sampler.stop()
    goals = {}
    if not a.screens_only:
        goals.update(print_table(a, r))
        if a.server_cap:
            pages = sum(expected_pages(c, r["page_size"]) for c in r["months"].values())
            sent = r["first"]["stats"].get("reportCalls", 0)
            print(f"server capped at {a.server_cap} rows per answer: first import {sent} reportCalls requests "
                  f"= {pages} pages + {sent - pages} (at most one per month: {len(r['months'])})", flush=True)
    if a.scale:
        goals[f"screens < 100 ms at {a.scale:,} calls"] = print_screens(r["scale"])
    print("\nall goals: " + ", ".join(f"{k}: {verdict(v)}" for k, v in goals.items()), flush=True)
    if a.json:
        with open(a.json, "w") as out:
            json.dump(r, out, default=str, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
