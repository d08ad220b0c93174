"""The screens part of ``dev/bench --scale N``: N calls put in with SQL (a year of a busy account),
then each screen timed as the web client asks for it (the same ORM calls with the same
specifications, as a manager or an agent; median of 5 after one warm-up run).
"""

import re
import statistics
import sys
import time
from datetime import timedelta

from lxml import etree

from odoo import fields

GOAL_MS = 100.0
YEAR = 365 * 86400


def progress(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def spec_from_arch(env, model, node):
    """The ``specification`` the web client sends for the fields of a view (sub-lists included)."""
    spec = {}
    for child in node:
        if not isinstance(child.tag, str):
            continue
        if child.tag != "field":
            spec.update(spec_from_arch(env, model, child))
            continue
        field = env[model]._fields.get(child.get("name"))
        if field is None:
            continue
        if field.type in ("one2many", "many2many"):
            sub = next((c for c in child if c.tag in ("list", "kanban")), None)
            spec[field.name] = {
                "fields": spec_from_arch(env, field.comodel_name, sub) if sub is not None else {"display_name": {}},
                "limit": int(child.get("limit") or 40),
            }
        elif field.type == "many2one":
            spec[field.name] = {"fields": {"display_name": {}}}
        else:
            spec[field.name] = {}
    return spec


def view_spec(env, model, view_type):
    arch = env[model].get_views([(False, view_type)])["views"][view_type]["arch"]
    return spec_from_arch(env, model, etree.fromstring(arch))


class Screens:
    def __init__(self, env, account_id, scale, capture_sql):
        self.env = env
        self.account = env["teleum.account"].browse(account_id)
        self.scale = scale
        self.capture_sql = capture_sql

    # ------------------------------------------------------------------ data
    def fill(self):
        """``scale`` calls over the last year, chronological like an import leaves them."""
        env, cr, account = self.env, self.env.cr, self.account
        cr.execute("""SELECT id, coalesce(teleum_phone_key, teleum_mobile_key) FROM res_partner
                       WHERE name LIKE 'Bench contact %' AND coalesce(teleum_phone_key, teleum_mobile_key) IS NOT NULL
                       ORDER BY id""")
        known = cr.fetchall()
        if not known:
            raise SystemExit("--scale needs contacts (--contacts N)")
        unknown = [f"7800{i:07d}" for i in range(20000)]  # 8-800: never in the sandbox's caller pool
        t = time.perf_counter()
        Lead = env["crm.lead"].with_context(tracking_disable=True, mail_create_nolog=True, mail_notrack=True)
        leads = Lead.create([{"name": f"Bench lead {i + 1}", "phone": "+" + unknown[i],
                              "user_id": env.ref("base.user_admin").id} for i in range(500)])
        cr.commit()
        progress(f"screens: 500 leads for unknown callers in {time.perf_counter() - t:.1f}s")
        sips = account.sip_ids.filtered("user_id").sorted("num")
        numbers = account.number_ids.sorted("number")
        t = time.perf_counter()
        # Indexes are built after the rows (as a restore does): much quicker than a million
        # insertions into each of them; the primary key and the unique constraint stay.
        cr.execute("""SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x
                        JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
                       WHERE t.relname = 'teleum_call' AND NOT x.indisprimary AND NOT x.indisunique""")
        indexes = cr.fetchall()
        for name, _definition in indexes:
            cr.execute(f'DROP INDEX "{name}"')
        cr.execute("SELECT setseed(0.14)")
        cr.execute(
            """
            WITH p AS (
                SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4
                  FROM generate_series(1, %(n)s) g
            ), c AS (
                SELECT g, r4,
                       (%(now)s::timestamp - ((%(n)s - g)::float8 * %(span)s / %(n)s) * interval '1 second') AS d,
                       CASE WHEN r1 < 0.55 THEN 'inbound' WHEN r1 < 0.9 THEN 'outbound' ELSE 'internal' END AS dir,
                       CASE WHEN r2 < 0.68 THEN 'answered' WHEN r2 < 0.86 THEN 'no_answer'
                            WHEN r2 < 0.94 THEN 'busy' ELSE 'failed' END AS st,
                       CASE WHEN r1 >= 0.9 THEN 0
                            WHEN g %% 200 = 0 THEN 1                                  -- one busy contact
                            WHEN r3 < 0.85 THEN 1 + floor(r4 * %(nk)s)::int           -- a contact
                            ELSE -(1 + floor(r4 * %(nu)s)::int) END AS who           -- an unknown caller
                  FROM p
            ), v AS (
                SELECT c.*,
                       CASE WHEN who > 0 THEN (%(kkeys)s::varchar[])[who]
                            WHEN who < 0 THEN (%(ukeys)s::varchar[])[-who] END AS remote,
                       CASE WHEN g %% 10 < 6 THEN 1 + g %% %(ns)s END AS line,
                       1 + g %% %(nn)s AS num
                  FROM c
            )
            INSERT INTO teleum_call (account_id, company_id, call_date, call_date_local, src, dst, duration,
                                     billsec, disposition, status, direction, rdr, remote_number, number_id,
                                     sip_id, user_id, partner_id, lead_id, has_recording, fingerprint, occurrence,
                                     listing_month, missed, create_uid, create_date, write_uid, write_date)
            SELECT %(account)s, %(company)s, d, to_char(d + interval '3 hours', 'YYYY-MM-DD HH24:MI:SS'),
                   CASE WHEN dir = 'inbound' THEN remote WHEN line IS NOT NULL THEN (%(sipnums)s::varchar[])[line]
                        ELSE (%(numbers)s::varchar[])[num] END,
                   CASE WHEN dir = 'outbound' THEN remote WHEN dir = 'internal' THEN '100'
                        ELSE (%(numbers)s::varchar[])[num] END,
                   CASE WHEN st = 'answered' THEN 2 + floor(r4 * 300)::int ELSE 0 END, NULL,
                   upper(replace(st, '_', ' ')), st, dir, NULL, remote,
                   CASE WHEN dir <> 'internal' THEN (%(number_ids)s::int[])[num] END,
                   (%(sip_ids)s::int[])[line], (%(users)s::int[])[line],
                   CASE WHEN who > 0 THEN (%(kpartners)s::int[])[who] END,
                   CASE WHEN who < 0 AND -who <= %(nl)s THEN (%(leads)s::int[])[-who] END,
                   false, md5('scale:' || g), 1, to_char(d + interval '3 hours', 'YYYY-MM'),
                   dir = 'inbound' AND st <> 'answered',
                   1, %(now)s, 1, %(now)s
              FROM v ORDER BY g
            """,
            {"n": self.scale, "now": fields.Datetime.now(), "span": YEAR, "account": account.id,
             "company": account.company_id.id, "kkeys": [k for _i, k in known], "kpartners": [i for i, _k in known],
             "nk": len(known), "ukeys": unknown, "nu": len(unknown), "leads": leads.ids, "nl": len(leads),
             "sip_ids": sips.ids, "sipnums": sips.mapped("num"), "users": [s.user_id.id for s in sips],
             "ns": len(sips), "numbers": numbers.mapped("number"), "number_ids": numbers.ids, "nn": len(numbers)},
        )
        inserted = cr.rowcount
        for _name, definition in indexes:
            cr.execute(definition)
        cr.commit()
        elapsed = time.perf_counter() - t
        progress(f"screens: {inserted:,} calls put in with SQL in {elapsed:.1f}s")
        self.env.invalidate_all()
        return {"calls": inserted, "insert_s": elapsed, "leads": leads.ids}

    # ------------------------------------------------------------------ timing
    def user_env(self, xmlid_groups, login):
        env = self.env
        user = env["res.users"].search([("login", "=", login)])
        if not user:
            user = env["res.users"].with_context(no_reset_password=True).create({
                "name": login.replace("_", " ").title(), "login": login,
                "groups_id": [(6, 0, [env.ref(x).id for x in xmlid_groups])],
            })
            env.cr.commit()
        company = self.account.company_id
        return env(user=user.id, su=False, context={"allowed_company_ids": [company.id], "lang": "en_US",
                                                    "tz": "Europe/Moscow"})

    def measure(self, label, uenv, func, runs=5):
        times = []
        for i in range(runs + 1):
            uenv.invalidate_all()
            uenv.cr.execute("SELECT 1")  # a live connection before the clock starts
            t = time.perf_counter()
            func()
            if i:  # the first run warms up the ORM's caches, as any earlier screen would
                times.append((time.perf_counter() - t) * 1000)
        uenv.invalidate_all()
        queries = self.capture_sql(uenv.cr, func)
        plans = []
        cr = self.env.cr
        for sql, params in queries:
            if not re.search(r'\bFROM\s+"?teleum_call"?', sql):
                continue
            cr.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = [r[0] for r in cr.fetchall()]
            ms = next((float(m[1]) for ln in plan if (m := re.search(r"Execution Time: ([\d.]+)", ln))), 0.0)
            plans.append({"sql": cr.mogrify(sql, params).decode(), "plan": plan, "ms": ms,
                          "seq": any("Seq Scan on teleum_call" in ln for ln in plan)})
        median = statistics.median(times)
        progress(f"screens: {label}: {median:.1f} ms (runs {', '.join(f'{x:.0f}' for x in times)})")
        return {"label": label, "ms": median, "runs": times, "queries": len(queries), "plans": plans}

    def run(self):
        env = self.env
        account = self.account
        manager = self.user_env(["base.group_user", "teleum_telephony.group_teleum_manager",
                                 "sales_team.group_sale_salesman_all_leads"], "bench_manager")
        agent_user = account.sip_ids.filtered("user_id")[:1].user_id
        agent = env(user=agent_user.id, su=False, context=dict(manager.context))
        Call, ACall = manager["teleum.call"], agent["teleum.call"]
        Report = manager["teleum.call.report"]
        list_spec = view_spec(manager, "teleum.call", "list")
        month = account._local_today().strftime("%Y-%m")
        cr = env.cr
        # the contact with the most calls, and a number of a contact with a few, searched by 7 middle digits
        cr.execute("""SELECT partner_id FROM teleum_call WHERE partner_id IS NOT NULL
                       GROUP BY partner_id ORDER BY count(*) DESC LIMIT 1""")
        busy = cr.fetchone()[0]
        cr.execute("""SELECT remote_number FROM teleum_call WHERE partner_id IS NOT NULL AND partner_id <> %s
                       ORDER BY id DESC LIMIT 1""", (busy,))
        number = cr.fetchone()[0]
        part = number[2:9]
        named = manager["res.partner"].browse(busy)
        # a contact searched by its own name (not one that starts a thousand others' names)
        cr.execute("""SELECT p.id FROM res_partner p WHERE p.name LIKE 'Bench contact %%'
                         AND EXISTS (SELECT 1 FROM teleum_call c WHERE c.partner_id = p.id)
                         AND NOT EXISTS (SELECT 1 FROM res_partner q WHERE q.name LIKE p.name || '_%%')
                       ORDER BY p.id DESC LIMIT 1""")
        searched = manager["res.partner"].browse(cr.fetchone()[0])
        cr.execute("""SELECT lead_id FROM teleum_call WHERE lead_id IS NOT NULL
                       GROUP BY lead_id ORDER BY count(*) DESC LIMIT 1""")
        lead = manager["crm.lead"].browse(cr.fetchone()[0])
        partner_spec = view_spec(manager, "res.partner", "form")
        lead_spec = view_spec(manager, "crm.lead", "form")
        since = fields.Datetime.to_string(fields.Datetime.now() - timedelta(days=30))
        last30 = [("call_date", ">=", since)]
        measures = ["__count", "duration:avg", "missed_rate:avg", "in_target_rate:avg", "return_delay:avg"]

        def ours(spec):  # the fields this addon adds to the form
            return {k: v for k, v in spec.items() if k.startswith("teleum_") or k == "display_name"}

        def search(model, domain):
            return lambda: model.web_search_read(domain, list_spec, limit=80, count_limit=10001)

        def pivot():
            # the pivot asks one read_group per combination of its row and column groupings
            for groupby in ([], ["status"], ["user_id"], ["user_id", "status"]):
                Report.read_group(last30, measures, groupby, lazy=False)

        def probe():
            return Call.sudo().search_count([("account_id", "=", account.id), ("listing_month", "=", month)])

        screens = [
            ("calls list, first page (manager)", manager, search(Call, [])),
            ("calls list, first page (agent: own calls only)", agent, search(ACall, [])),
            ("Missed filter", manager, search(Call, [("missed", "=", True)])),
            (f"search a part of a number ('{part}' of {number})", manager,
             search(Call, [("remote_number", "ilike", part)])),
            (f"search by contact name ('{searched.name}')", manager,
             search(Call, [("partner_id", "ilike", searched.name)])),
            (f"contact's form: Calls button and tab ({named.teleum_call_count:,} calls)", manager,
             lambda: named.web_read(ours(partner_spec))),
            (f"lead's form: Calls button and tab ({lead.teleum_call_count:,} calls)", manager,
             lambda: lead.web_read(ours(lead_spec))),
            ("30-day analysis pivot by agent and status (4 read_group)", manager, pivot),
            ("30-day analysis pivot by agent and day (4 read_group)", manager, lambda: [
                Report.read_group(last30, measures, groupby, lazy=False)
                for groupby in ([], ["call_date:day"], ["user_id"], ["user_id", "call_date:day"])]),
            ("analysis graph: calls per day over 30 days", manager,
             lambda: Report.read_group(last30, ["__count"], ["call_date:day", "status"], lazy=False)),
            ("Missed calls not returned (list)", manager, search(Call, [("not_returned", "=", True)])),
            ("sync's unchanged-month probe (count of a month)", manager, probe),
        ]
        results = [self.measure(label, uenv, func) for label, uenv, func in screens]
        # the whole forms, for information: most of their fields are Odoo's and other modules'
        for label, record, spec in (("contact's whole form (information)", named, partner_spec),
                                    ("lead's whole form (information)", lead, lead_spec)):
            result = self.measure(label, manager, lambda record=record, spec=spec: record.web_read(spec))
            result["info"] = True
            results.append(result)
        return results


def print_screens(result):
    lines = []
    w = lines.append
    fmt = "{:<72} {:>10}  {}"
    w("")
    w(f"Screens at {result['calls']:,} calls (put in with SQL in {result['insert_s']:.1f} s; "
      f"{result['total']:,} calls in the table), median of 5, as the web client asks")
    w("=" * 100)
    ok_all = True
    for s in result["screens"]:
        if s.get("info"):
            w(fmt.format(s["label"][:72], f"{s['ms']:.1f} ms", ""))
            continue
        ok = s["ms"] < GOAL_MS
        ok_all &= ok
        w(fmt.format(s["label"][:72], f"{s['ms']:.1f} ms", f"< {GOAL_MS:.0f} ms  {'PASS' if ok else 'MISS'}"))
    w("-" * 100)
    w(f"goal: every screen under {GOAL_MS:.0f} ms at {result['calls']:,} calls: {'PASS' if ok_all else 'MISS'}")
    for s in result["screens"]:
        if s["ms"] >= GOAL_MS / 2 and s["plans"] and not s.get("info"):
            worst = max(s["plans"], key=lambda p: p["ms"])
            w("")
            w(f"-- {s['label']}: {s['queries']} queries, slowest on teleum_call {worst['ms']:.1f} ms")
            w(worst["sql"][:2000])
            for ln in worst["plan"]:
                w("   " + ln)
    print("\n".join(lines), flush=True)
    return ok_all
