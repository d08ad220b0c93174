"""Calls analysis (``teleum.call.report``): the pivot and graph of the *Analysis* menu.

A pivot over 30 days of a busy account (82,000 calls at a million a year) would read every call
of the period at each of its read_group calls (a pivot makes four): about 25 ms each even from a
covering index. The report reads ``teleum_call_stat`` instead: per hour (UTC), company, agent,
status, direction and our number, the number of calls and the sums of the measures (about
27,000 rows for such a month with dev/bench's evenly mixed calls; fewer where calls cluster),
through the view ``teleum_call_report`` that adds the agent's sales team. Groups by agent, team
or number are summed first and put in their name order after (``read_group``).

- Kept exact by PostgreSQL statement triggers (with transition tables) on ``teleum_call``: every
  INSERT, UPDATE and DELETE, by the ORM or by SQL (cascades), adds its rows' difference in one
  statement, inside the same transaction; a call that changes (its agent, its return) moves from
  one row to another. Rows left with no call are deleted.
- Rates are ratios of sums (``_read_group_select``, as ``purchase.report`` does for its average
  price): the missed rate is missed inbound calls over inbound calls, in every cell and total,
  never an average of averages nor a sum of percentages.
- A day is whole hours in zones whose offset is whole hours (every Russian zone); the date
  filters of the search view are whole days. A bound inside an hour counts that hour whole.
- The median return delay would need every call; the report gives the average (sum / returned).
"""

from odoo import api, fields, models, tools
from odoo.models import parse_read_group_spec
from odoo.tools import SQL

from ..models.teleum_call import DIRECTIONS, STATUSES

# The measures summed per row: (column, SQL of a call's value, from the transition table's rows).
# ``returnable``: a missed inbound call from an outside number, which can be called back
# (``teleum.call._teleum_returnable_sql`` says which; blacklisted callers are left out there).
SUMS = (
    ("call_count", "1"),
    ("duration_sum", "coalesce(duration, 0)"),
    ("duration_n", "(duration IS NOT NULL)::int"),
    # (NULL is false: create() inserts a call before it computes ``missed``, then updates it)
    ("inbound_count", "coalesce(direction = 'inbound', false)::int"),
    ("missed_count", "coalesce(missed, false)::int"),
    ("returnable_count", "coalesce({returnable}, false)::int"),
    ("returned_count", "coalesce({returnable} AND callback_call_id IS NOT NULL, false)::int"),
    ("in_target_count", "coalesce({returnable} AND callback_call_id IS NOT NULL AND callback_in_target, false)::int"),
    ("delay_sum", "CASE WHEN {returnable} AND callback_call_id IS NOT NULL THEN coalesce(callback_delay, 0) "
                  "ELSE 0 END"),
)
KEY = ("call_date", "company_id", "user_id", "status", "direction", "number_id")

# Ratio measures: field -> (numerator column, denominator column, factor)
RATIOS = {
    "duration": ("duration_sum", "duration_n", 1.0),
    "missed_rate": ("missed_count", "inbound_count", 100.0),
    "returned_rate": ("returned_count", "returnable_count", 100.0),
    "in_target_rate": ("in_target_count", "returnable_count", 100.0),
    "return_delay": ("delay_sum", "returned_count", 1 / 60),
}


def _trigger_function(returnable):
    sums = [(column, expr.format(returnable=returnable)) for column, expr in SUMS]
    changed = ", ".join(
        ["date_trunc('hour', call_date) AS call_date", "company_id", "user_id", "status", "direction", "number_id"]
        + [f"{expr} AS {column}" for column, expr in sums])
    upsert = f"""
        INSERT INTO teleum_call_stat AS s ({", ".join(KEY + tuple(c for c, _e in sums))})
        SELECT {", ".join(KEY)}, {", ".join(f"sum(sign * {c})" for c, _e in sums)}
          FROM ({{rows}}) AS changed
         GROUP BY {", ".join(KEY)}
        HAVING {" OR ".join(f"sum(sign * {c}) <> 0" for c, _e in sums)}
         ORDER BY {", ".join(KEY)}
        ON CONFLICT (call_date, company_id, (coalesce(user_id, 0)), status, (coalesce(direction, '')),
                     (coalesce(number_id, 0)))
        DO UPDATE SET {", ".join(f"{c} = s.{c} + excluded.{c}" for c, _e in sums)};"""
    new = f"SELECT {changed}, 1 AS sign FROM new_rows"
    old = f"SELECT {changed}, -1 AS sign FROM old_rows"
    tidy = "DELETE FROM teleum_call_stat WHERE call_count = 0;"
    return f"""
CREATE OR REPLACE FUNCTION teleum_call_stat_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN {upsert.format(rows=new)}
    ELSIF TG_OP = 'DELETE' THEN {upsert.format(rows=old)} {tidy}
    ELSE {upsert.format(rows=old + " UNION ALL " + new)} {tidy}
    END IF;
    RETURN NULL;
END
$$
"""


_TABLE = f"""
    CREATE TABLE IF NOT EXISTS teleum_call_stat (
        id serial PRIMARY KEY, call_date timestamp, company_id integer NOT NULL, user_id integer,
        status varchar NOT NULL, direction varchar, number_id integer,
        {", ".join(f"{column} bigint NOT NULL DEFAULT 0" for column, _e in SUMS)})
"""
# the model's rows: the statistics, with the agent's sales team (a join PostgreSQL leaves out
# when no condition, grouping or measure names the team) and each row's own rates
_VIEW = f"""
    CREATE VIEW teleum_call_report AS (
        SELECT s.id, s.call_date, s.company_id, s.user_id, u.sale_team_id AS team_id, s.status, s.direction,
               s.number_id, {", ".join(f"s.{column}" for column, _e in SUMS)},
               s.returnable_count - s.returned_count AS not_returned_count,
               {", ".join(f"s.{num} * {factor}::float8 / NULLIF(s.{den}, 0) AS {fname}"
                          for fname, (num, den, factor) in RATIOS.items())}
          FROM teleum_call_stat s LEFT JOIN res_users u ON u.id = s.user_id)
"""


class TeleumCallReport(models.Model):
    _name = "teleum.call.report"
    _description = "Calls Analysis"
    _auto = False
    _rec_name = "call_date"
    _order = "call_date desc"

    call_date = fields.Datetime("Date", readonly=True)
    company_id = fields.Many2one("res.company", "Company", readonly=True)
    user_id = fields.Many2one("res.users", "Agent", readonly=True)
    team_id = fields.Many2one("crm.team", "Sales Team", readonly=True, help="The agent's sales team.")
    status = fields.Selection(STATUSES, readonly=True)
    direction = fields.Selection(DIRECTIONS, readonly=True)
    number_id = fields.Many2one("teleum.number", "Teleum number", readonly=True)
    # "Count" (__count) is the number of calls (see _read_group_select): this column is its sum
    call_count = fields.Integer("Calls", readonly=True, aggregator=None)
    duration_sum = fields.Integer("Talk time", readonly=True)
    duration_n = fields.Integer(readonly=True, aggregator=None)
    inbound_count = fields.Integer("Inbound calls", readonly=True)
    missed_count = fields.Integer("Missed", readonly=True)
    returnable_count = fields.Integer("Missed, to return", readonly=True,
                                      help="Missed inbound calls from an outside number (not blacklisted).")
    returned_count = fields.Integer("Returned", readonly=True,
                                    help="Missed calls followed by a connected call with the same number.")
    not_returned_count = fields.Integer("Not returned", readonly=True)
    in_target_count = fields.Integer("Returned in time", readonly=True,
                                     help="Returned within the company's target (Settings).")
    delay_sum = fields.Integer(readonly=True, aggregator=None)
    # ratios of the sums above, in every cell and total (the row's own value is only for display)
    duration = fields.Float("Average duration", readonly=True, aggregator="avg", digits=(16, 1))
    missed_rate = fields.Float("Missed (%)", readonly=True, aggregator="avg", digits=(16, 1),
                               help="Missed inbound calls over inbound calls.")
    returned_rate = fields.Float("Returned (%)", readonly=True, aggregator="avg", digits=(16, 1),
                                 help="Returned missed calls over missed calls to return.")
    in_target_rate = fields.Float("Returned in time (%)", readonly=True, aggregator="avg", digits=(16, 1),
                                  help="Missed calls returned within the target over missed calls to return.")
    return_delay = fields.Float("Average return delay (min)", readonly=True, aggregator="avg", digits=(16, 1),
                                help="From the missed call's start to the return's start, over returned calls.")

    def init(self):
        cr = self.env.cr
        cr.execute(_TABLE)
        # the upsert's key; its first column serves the screens' date ranges
        cr.execute("""CREATE UNIQUE INDEX IF NOT EXISTS teleum_call_stat_key ON teleum_call_stat
                      (call_date, company_id, (coalesce(user_id, 0)), status, (coalesce(direction, '')),
                       (coalesce(number_id, 0)))""")
        cr.execute(_trigger_function(self.env["teleum.call"]._teleum_returnable_sql()))
        for op, tables in (("INSERT", "NEW TABLE AS new_rows"), ("DELETE", "OLD TABLE AS old_rows"),
                           ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows")):
            name = SQL.identifier(f"teleum_call_stat_{op.lower()}")
            cr.execute(SQL("DROP TRIGGER IF EXISTS %s ON teleum_call", name))
            cr.execute(SQL("CREATE TRIGGER %s AFTER %s ON teleum_call REFERENCING %s "
                           "FOR EACH STATEMENT EXECUTE FUNCTION teleum_call_stat_sync()", name, SQL(op), SQL(tables)))
        tools.drop_view_if_exists(cr, self._table)
        cr.execute(_VIEW)

    @api.model
    def _read_group(self, domain, groupby=(), aggregates=(), having=(), offset=0, limit=None, order=None):
        # the rows follow the calls by triggers: the calls' pending changes first
        self.env["teleum.call"].flush_model()
        if any(":" in spec for spec in groupby):
            # PostgreSQL cannot tell how few days (or weeks…) a date grouping makes of a month's
            # rows (it guesses one group in two rows) and sorts them all instead of hashing them:
            # 76 ms instead of 16 ms for a busy month. Enough memory to hash, for this request.
            self.env.cr.execute("SET LOCAL work_mem = '32MB'")
        return super()._read_group(domain, groupby, aggregates, having, offset, limit, order)

    @api.model
    def read_group(self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True):
        """Groups by agent, team or number (pivot, graph) are counted first, named after.

        Odoo orders such groups by name in SQL: it joins the agent and their partner to every row
        and sorts them all before summing (most of a 30-day pivot's time). Here SQL orders the
        groups by id and the few groups are sorted by name afterwards, as Odoo would order them.
        """
        groupbys = [groupby] if isinstance(groupby, str) else list(groupby or ())
        levels = groupbys[:1] if lazy else groupbys
        types = [getattr(self._fields.get(g.split(":")[0]), "type", None) for g in levels]
        if "many2one" not in types or orderby or limit or offset:
            return super().read_group(domain, fields, groupby, offset=offset, limit=limit, orderby=orderby, lazy=lazy)
        order = ",".join(f"{g}:max" if t == "many2one" else g for g, t in zip(levels, types, strict=True))
        groups = super().read_group(domain, fields, groupby, orderby=order, lazy=lazy)

        # each many2one level in its comodel's own order (one small search per level: the collation
        # and the order of the comodel, exactly as Odoo's SQL would have them)
        ranks = {}
        for spec, kind in zip(levels, types, strict=True):
            if kind == "many2one":
                ids = {group[spec][0] for group in groups if group.get(spec)}
                comodel = self.env[self._fields[spec].comodel_name].sudo().with_context(active_test=False)
                ranks[spec] = {rid: i for i, rid in enumerate(comodel.search([("id", "in", list(ids))]).ids)}

        def key(group, spec):  # empty groups last, as PostgreSQL sorts NULLs ascending
            value = group.get(spec)
            if spec in ranks:
                return (not value, ranks[spec].get(value[0], 0) if value else 0)
            if spec.split(":")[0] == "call_date":  # a date group's label is not its order: its start is
                value = ((group.get("__range") or {}).get(spec) or {}).get("from")
            return (not value, value or "")

        return sorted(groups, key=lambda group: tuple(key(group, g) for g in levels))

    def _read_group_select(self, aggregate_spec, query):
        """Count is the number of calls; a rate is the ratio of its sums over the group."""
        if aggregate_spec == "__count":
            return SQL("COALESCE(SUM(%s), 0)", self._field_to_sql(self._table, "call_count", query))
        fname, property_name, func = parse_read_group_spec(aggregate_spec)
        if fname in RATIOS and not property_name and func in ("avg", "sum"):
            num, den, factor = RATIOS[fname]
            return SQL("(SUM(%s) * %s / NULLIF(SUM(%s), 0))", self._field_to_sql(self._table, num, query),
                       factor, self._field_to_sql(self._table, den, query))
        return super()._read_group_select(aggregate_spec, query)
