"""Hourly call statistics, so that the pivot and graph of a month of a busy account are fast.

A pivot or graph over 30 days of a busy account (82,000 calls at a million a year) reads every
call of the period at each of its read_group calls (a pivot by agent and status makes four):
about 25 ms each even from a covering index, 200 ms a pivot. ``teleum_call_hourly`` holds, per
hour (UTC), company, agent and status, the number of calls and the sums of the measures; the
read_group calls these screens make are answered from it (about 11,000 rows a month), with the
exact same answer (see TestHourlyStats).

- Kept exact by PostgreSQL statement triggers (with transition tables) on teleum_call: every
  INSERT, UPDATE and DELETE, by the ORM or by SQL (the import's one INSERT a page, the agents'
  attribution, cascades), adds its rows' difference in one statement, inside the same
  transaction. An import page pays one small grouped upsert (see dev/bench's insert cost).
- Used by ``_read_group`` only when the answer is the same: every condition (rules included) is
  on the company, the agent, the status or the date, every grouping on those (a date grouping
  only in a time zone with whole-hour offsets), every measure a count, sum or average of the
  duration or the missed rate. A date bound inside an hour takes that hour from the calls.
  Anything else reads the calls as before.
"""

import functools
from datetime import datetime, timedelta

import pytz

from odoo import api, fields, models
from odoo.models import READ_GROUP_NUMBER_GRANULARITY, READ_GROUP_TIME_GRANULARITY, parse_read_group_spec
from odoo.osv import expression
from odoo.tools import SQL

DIMENSIONS = ("company_id", "user_id", "status")  # and call_date, by hour
MEASURES = ("duration", "missed_rate")
# granularities an hour bucket answers exactly (minutes and seconds need the calls)
GRANULARITIES = set(READ_GROUP_TIME_GRANULARITY) | set(READ_GROUP_NUMBER_GRANULARITY) - {"minute_number",
                                                                                         "second_number"}
DATE_OPERATORS = ("=", "!=", "<", "<=", ">", ">=")

# One function for the three triggers: the calls' rows come in (+1) or go out (-1) of their hour;
# the groups whose difference is nothing (an UPDATE of other columns) write nothing.
_UPSERT = """
        INSERT INTO teleum_call_hourly AS h
        SELECT date_trunc('hour', call_date), company_id, user_id, status, sum(sign),
               coalesce(sum(sign * duration), 0), sum(sign * (duration IS NOT NULL)::int),
               coalesce(sum(sign * missed_rate::numeric), 0), sum(sign * (missed_rate IS NOT NULL)::int)
          FROM ({rows}) AS changed
         GROUP BY 1, 2, 3, 4
        HAVING sum(sign) <> 0 OR coalesce(sum(sign * duration), 0) <> 0
            OR sum(sign * (duration IS NOT NULL)::int) <> 0 OR coalesce(sum(sign * missed_rate::numeric), 0) <> 0
            OR sum(sign * (missed_rate IS NOT NULL)::int) <> 0
         ORDER BY 1, 2, 3, 4
        ON CONFLICT (call_date, company_id, (coalesce(user_id, 0)), status) DO UPDATE SET
            call_count = h.call_count + excluded.call_count, duration = h.duration + excluded.duration,
            duration_n = h.duration_n + excluded.duration_n, missed_rate = h.missed_rate + excluded.missed_rate,
            missed_rate_n = h.missed_rate_n + excluded.missed_rate_n;"""
_NEW = "SELECT call_date, company_id, user_id, status, duration, missed_rate, 1 AS sign FROM new_rows"
_OLD = "SELECT call_date, company_id, user_id, status, duration, missed_rate, -1 AS sign FROM old_rows"
TRIGGER_FUNCTION = f"""
CREATE OR REPLACE FUNCTION teleum_call_hourly_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN {_UPSERT.format(rows=_NEW)}
    ELSIF TG_OP = 'DELETE' THEN {_UPSERT.format(rows=_OLD)}
    ELSE {_UPSERT.format(rows=_OLD + " UNION ALL " + _NEW)}
    END IF;
    RETURN NULL;
END
$$
"""


class _FromHourly:
    """Marks, in a context, a read_group answered from the hourly table (an object no RPC can send)."""

    def __init__(self, split_hours):
        self.split_hours = split_hours  # hours cut by a date bound: taken from the calls themselves


@functools.lru_cache(maxsize=64)
def _whole_hour_zone(tz_name):
    """Whether the zone's offset from UTC was a whole number of hours at every change since 1970."""
    try:
        zone = pytz.timezone(tz_name)
    except pytz.UnknownTimeZoneError:
        return True  # Odoo groups in UTC then
    infos = getattr(zone, "_transition_info", None)
    if infos is None:
        offsets = [zone.utcoffset(datetime(2000, 1, 1))]
    else:
        start = datetime(1970, 1, 1)
        offsets = [info[0] for when, info in zip(zone._utc_transition_times, infos, strict=True) if when >= start]
        offsets.append(infos[-1][0])
    return all(offset.total_seconds() % 3600 == 0 for offset in offsets)


class TeleumCall(models.Model):
    _inherit = "teleum.call"

    def init(self):
        res = super().init()
        cr = self.env.cr
        cr.execute("SELECT to_regclass('teleum_call_hourly')")
        created = not cr.fetchone()[0]
        cr.execute("""
            CREATE TABLE IF NOT EXISTS teleum_call_hourly (
                call_date timestamp, company_id integer NOT NULL, user_id integer, status varchar NOT NULL,
                call_count integer NOT NULL, duration bigint NOT NULL, duration_n integer NOT NULL,
                missed_rate numeric NOT NULL, missed_rate_n integer NOT NULL)
        """)
        # the upsert's key, and the date ranges of the screens (the hour first)
        cr.execute("""CREATE UNIQUE INDEX IF NOT EXISTS teleum_call_hourly_key
                      ON teleum_call_hourly (call_date, company_id, (coalesce(user_id, 0)), status)""")
        cr.execute(TRIGGER_FUNCTION)
        for op, tables in (("INSERT", "NEW TABLE AS new_rows"), ("DELETE", "OLD TABLE AS old_rows"),
                           ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows")):
            name = SQL.identifier(f"teleum_call_hourly_{op.lower()}")
            cr.execute(SQL("DROP TRIGGER IF EXISTS %s ON teleum_call", name))
            cr.execute(SQL("CREATE TRIGGER %s AFTER %s ON teleum_call REFERENCING %s "
                           "FOR EACH STATEMENT EXECUTE FUNCTION teleum_call_hourly_sync()", name, SQL(op), SQL(tables)))
        if created:  # a database updated from an earlier version: its calls counted once
            cr.execute("""
                INSERT INTO teleum_call_hourly
                SELECT date_trunc('hour', call_date), company_id, user_id, status, count(*),
                       coalesce(sum(duration), 0), count(duration), coalesce(sum(missed_rate::numeric), 0),
                       count(missed_rate)
                  FROM teleum_call GROUP BY 1, 2, 3, 4
            """)
            cr.execute("ANALYZE teleum_call_hourly")  # the screens' plans, before autovacuum comes by
        return res

    # ------------------------------------------------------------------ reading
    @property
    def _table_sql(self):
        source = self.env.context.get("teleum_call_hourly")
        if not isinstance(source, _FromHourly):
            return super()._table_sql
        # the hourly rows, except the hours a date bound cuts, which come from the calls
        hours = [SQL("(c.call_date >= %s AND c.call_date < %s)", hour, hour + timedelta(hours=1))
                 for hour in source.split_hours]
        return SQL(
            """(SELECT h.call_date, h.company_id, h.user_id, h.status, h.call_count, h.duration, h.duration_n,
                       h.missed_rate, h.missed_rate_n
                  FROM teleum_call_hourly h
                 WHERE h.call_count <> 0 AND (h.call_date <> ALL(%s) OR h.call_date IS NULL)
                UNION ALL
                SELECT c.call_date, c.company_id, c.user_id, c.status, 1, coalesce(c.duration, 0)::bigint,
                       (c.duration IS NOT NULL)::int, coalesce(c.missed_rate, 0)::numeric,
                       (c.missed_rate IS NOT NULL)::int
                  FROM teleum_call c WHERE %s)""",
            list(source.split_hours), SQL(" OR ").join(hours) if hours else SQL("FALSE"),
        )

    def _read_group_select(self, aggregate_spec, query):
        if not isinstance(self.env.context.get("teleum_call_hourly"), _FromHourly):
            return super()._read_group_select(aggregate_spec, query)
        column = functools.partial(SQL.identifier, self._table)
        if aggregate_spec == "__count":
            return SQL("COALESCE(SUM(%s), 0)", column("call_count"))
        fname, _property, func = parse_read_group_spec(aggregate_spec)
        if fname in MEASURES:
            total, count = column(fname), column(f"{fname}_n")
            if func == "sum":
                cast = SQL("bigint") if fname == "duration" else SQL("float8")
                return SQL("CASE WHEN SUM(%s) > 0 THEN SUM(%s)::%s END", count, total, cast)
            if fname == "duration":  # AVG(integer) is a numeric division of the sum by the count
                return SQL("(SUM(%s) / NULLIF(SUM(%s), 0)::numeric)", total, count)
            return SQL("(SUM(%s)::float8 / NULLIF(SUM(%s), 0))", total, count)
        return super()._read_group_select(aggregate_spec, query)  # max/min of a dimension (orders)

    @api.model
    def _read_group(self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None):
        source = self._teleum_hourly_source(domain, groupby, aggregates, having, order)
        if source is None:
            return super()._read_group(domain, groupby, aggregates, having, offset, limit, order)
        self.flush_model(["call_date", *DIMENSIONS, *MEASURES])
        rows = super(TeleumCall, self.with_context(teleum_call_hourly=source))._read_group(
            domain, groupby, aggregates, having, offset, limit, order)
        # the groups' records in the caller's environment, not the one marked for the hourly table
        return [tuple(v.with_env(self.env) if isinstance(v, models.BaseModel) else v for v in row) for row in rows]

    def _teleum_hourly_source(self, domain, groupby, aggregates, having, order):
        """A _FromHourly when the hourly table gives the same answer as the calls, else None."""
        if having or self.env.context.get("teleum_call_hourly"):
            return None
        dated = False
        for spec in groupby:
            fname, property_name, granularity = parse_read_group_spec(spec)
            if property_name or not ((fname in DIMENSIONS and not granularity)
                                     or (fname == "call_date" and granularity in GRANULARITIES)):
                return None
            dated |= fname == "call_date"
        tz = self.env.context.get("tz")
        if dated and tz and not _whole_hour_zone(tz):
            return None
        for spec in aggregates:
            if spec == "__count":
                continue
            fname, property_name, func = parse_read_group_spec(spec)
            if property_name or fname not in MEASURES or func not in ("sum", "avg"):
                return None
        for term in (order or "").split(","):
            spec = term.strip().split(" ")[0]
            if spec and spec != "__count" and spec not in groupby and spec not in aggregates:
                fname, _property, func = parse_read_group_spec(spec)
                if fname not in DIMENSIONS or func not in ("max", "min"):
                    return None
        rules = [] if self.env.su else self.env["ir.rule"]._compute_domain(self._name, "read")
        split = set()
        for leaf in expression.normalize_domain(expression.AND([domain or [], rules or []])):
            if not expression.is_leaf(leaf) or tuple(leaf) in (expression.TRUE_LEAF, expression.FALSE_LEAF):
                continue
            path, operator, value = leaf
            if not isinstance(path, str):
                return None
            fname = path.split(".")[0]
            if fname in DIMENSIONS:  # the hourly rows are each of one company, agent and status
                continue
            if fname != "call_date" or path != fname or operator not in DATE_OPERATORS:
                return None
            if value is False and operator in ("=", "!="):
                continue
            when = value if isinstance(value, datetime) else None
            if isinstance(value, str) and len(value) == 19:
                when = fields.Datetime.to_datetime(value)
            if when is None:
                return None
            hour = when.replace(minute=0, second=0, microsecond=0)
            if not (operator in (">=", "<") and when == hour):  # a bound inside the hour, or an equality
                split.add(hour)
        return _FromHourly(sorted(split))
