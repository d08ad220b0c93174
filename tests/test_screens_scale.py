"""The screens that must stay fast at a million calls keep their answers: the search by contact
name (served by trigram indexes on res_partner) and the calls analysis (teleum.call.report, served
by the hourly call statistics)."""

from datetime import datetime, timedelta

import pytz

from odoo import fields
from odoo.tests import TransactionCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestContactNameSearch(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.company = Partner.create({"name": "Zorblax Trading", "is_company": True})
        cls.person = Partner.create({"name": "Agrafena Quillby", "parent_id": cls.company.id})
        cls.other = Partner.create({"name": "Unrelated Person"})
        cls.account = cls.env["teleum.account"].create({"name": "Scale", "api_url": "http://127.0.0.1:9/api/v3/"})
        Call = cls.env["teleum.call"]
        base = {"account_id": cls.account.id, "company_id": cls.env.company.id, "status": "answered",
                "call_date": "2026-03-02 09:00:00"}
        cls.calls = {who: Call.create(dict(base, fingerprint=f"name-{who}", partner_id=partner.id))
                     for who, partner in (("company", cls.company), ("person", cls.person), ("other", cls.other))}

    def found(self, text):
        return self.env["teleum.call"].search([("account_id", "=", self.account.id), ("partner_id", "ilike", text)])

    def test_part_of_a_name_finds_the_contacts_calls(self):
        """A part of a contact's name finds its calls; a part of the company's name, the company's and its contacts'."""
        self.assertEqual(self.found("grafena Quil"), self.calls["person"])
        self.assertEqual(self.found("blax trad"), self.calls["company"] | self.calls["person"])
        self.assertEqual(self.found("Zorblax Trading, Agrafena"), self.calls["person"], "the full name as listed")
        self.assertFalse(self.found("Nobody Like This"))

    def test_name_search_can_use_the_trigram_indexes(self):
        """Every column of the contacts' name search has a trigram index: the OR is index scans,
        not a read of every contact."""
        if not self.env.registry.has_trigram:
            self.skipTest("pg_trgm is not installed in this database")
        query = self.env["teleum.call"]._search([("partner_id", "ilike", "grafena Quil")])
        sql = query.select()
        # a small table is read whole whatever its indexes: ask for anything but a full read
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        self.env.cr.execute("SET LOCAL enable_indexscan = off")
        self.env.cr.execute("EXPLAIN " + sql.code, sql.params)
        plan = "\n".join(row[0] for row in self.env.cr.fetchall())
        self.assertIn("teleum_res_partner_complete_name_trgm_idx", plan)
        self.assertNotIn("Seq Scan on res_partner", plan)


@tagged("post_install", "-at_install")
class TestHourlyStats(TransactionCase):
    """The calls analysis reads the hourly statistics: always the answer the calls themselves give."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account = cls.env["teleum.account"].create({"name": "Hourly", "api_url": "http://127.0.0.1:9/api/v3/"})
        cls.agent = new_test_user(cls.env, "hourly_agent", groups="teleum_telephony.group_teleum_own",
                                  tz="Europe/Moscow")
        cls.other = new_test_user(cls.env, "hourly_other", groups="teleum_telephony.group_teleum_own")
        cls.manager = new_test_user(cls.env, "hourly_manager", groups="teleum_telephony.group_teleum_manager")
        cls.team = cls.env["crm.team"].create({"name": "Hourly team", "member_ids": [(6, 0, cls.agent.ids)]})
        numbers = cls.env["teleum.number"].create([
            {"account_id": cls.account.id, "number": f"7812323232{i}"} for i in range(2)])
        statuses = ["answered", "no_answer", "busy", "failed", "answered"]
        users = [cls.agent, cls.other, cls.env["res.users"]]
        vals = []
        for i in range(60):  # 60 calls over 3 days, every 73 minutes and some seconds
            vals.append({
                "account_id": cls.account.id, "company_id": cls.env.company.id, "fingerprint": f"hourly-{i}",
                "call_date": datetime(2026, 3, 1, 20, 5, 7) + timedelta(minutes=73 * i, seconds=i),
                "status": statuses[i % 5], "direction": ("inbound", "outbound", "inbound", "internal")[i % 4],
                "remote_number": False if i % 4 == 3 else f"7916000{i % 6:04d}",
                "number_id": numbers[i % 2].id, "user_id": users[i % 3].id, "duration": 10 * i,
            })
        cls.calls = cls.env["teleum.call"].create(vals)
        cls.measures = ["__count", "duration:avg", "missed_rate:avg", "in_target_rate:avg", "return_delay:avg"]

    def hourly_matches_calls(self):
        """The statistics hold exactly the calls' counts and sums, hour by hour."""
        self.env.flush_all()
        self.assertEqual(stat_rows(self.env.cr, "teleum_call_stat"), stat_rows(self.env.cr, "teleum_call"))

    def expected_groups(self, Call, domain, groupby):
        """The groups the report must show, computed from the calls themselves (in Python)."""
        tz = pytz.timezone(Call.env.context.get("tz") or "UTC")

        def key(call, spec):
            if spec.startswith("call_date:"):
                local = pytz.utc.localize(call.call_date).astimezone(tz)
                return local.strftime({"call_date:day": "%Y-%m-%d", "call_date:hour": "%Y-%m-%d %H"}[spec])
            if spec == "team_id":
                return call.user_id.sale_team_id.id
            value = call[spec]
            return value.id if hasattr(value, "_name") else value

        groups = {}
        for call in Call.search(domain):
            groups.setdefault(tuple(key(call, g) for g in groupby), []).append(call.id)
        expected = {}
        for k, ids in groups.items():
            calls = Call.browse(ids)
            inbound = calls.filtered(lambda c: c.direction == "inbound")
            returnable = calls.filtered_domain(Call._teleum_returnable_domain())
            returned = returnable.filtered("callback_call_id")
            expected[k] = {
                "__count": len(calls),
                "duration": sum(calls.mapped("duration")) / len(calls),
                "missed_rate": 100.0 * len(inbound.filtered("missed")) / len(inbound) if inbound else None,
                "in_target_rate": (100.0 * len(returned.filtered("callback_in_target")) / len(returnable)
                                   if returnable else None),
                "return_delay": sum(returned.mapped("callback_delay")) / 60 / len(returned) if returned else None,
            }
        return expected

    def assert_same_groups(self, Call, domain, groupby):
        """read_group of the report equals the groups of the calls, group for group."""
        Report = Call.env["teleum.call.report"]
        rows = Report.read_group(domain, self.measures, groupby, lazy=False)
        tz = pytz.timezone(Call.env.context.get("tz") or "UTC")

        def key(row, spec):
            if spec.startswith("call_date:"):
                start = fields.Datetime.to_datetime(row["__range"][spec]["from"])
                return pytz.utc.localize(start).astimezone(tz).strftime(
                    {"call_date:day": "%Y-%m-%d", "call_date:hour": "%Y-%m-%d %H"}[spec])
            value = row[spec]
            return value[0] if isinstance(value, tuple) else value

        got = {tuple(key(r, g) for g in groupby): {m: r[m.split(":")[0]] for m in
                                                   ("__count", "duration", "missed_rate", "in_target_rate",
                                                    "return_delay")} for r in rows}
        expected = self.expected_groups(Call, domain, groupby)
        self.assertTrue(expected, "the case has groups")
        self.assertEqual(set(got), set(expected), (domain, groupby))
        for k, values in expected.items():
            for measure, value in values.items():
                if value is None:
                    self.assertFalse(got[k][measure], (domain, groupby, k, measure))
                else:
                    self.assertAlmostEqual(got[k][measure], value, places=6, msg=(domain, groupby, k, measure))
        return rows

    def test_pivot_and_graph_answers(self):
        """Pivot by agent, team, number and status and graph by day, whole and over a period, as a
        manager and as an agent (own calls); the missed rate of each group is missed inbound / inbound."""
        self.hourly_matches_calls()
        manager = self.env(user=self.manager, context={"tz": "Europe/Moscow"})["teleum.call"]
        agent = self.env(user=self.agent, context={"tz": "Europe/Moscow"})["teleum.call"]
        aligned = [("call_date", ">=", "2026-03-02 07:00:00"), ("call_date", "<", "2026-03-03 21:00:00")]
        for Call in (manager, agent):
            for domain in ([], aligned, [("status", "!=", "busy")] + aligned, [("direction", "=", "inbound")]):
                for groupby in ([], ["status"], ["user_id"], ["user_id", "status"], ["call_date:day", "status"],
                                ["user_id", "call_date:day"], ["number_id"], ["team_id"], ["direction"],
                                ["call_date:hour"], ["company_id"]):
                    self.assert_same_groups(Call, domain, groupby)
        groups = self.assert_same_groups(agent, [], ["user_id"])
        self.assertEqual([g["user_id"][0] for g in groups], [self.agent.id], "an agent sees their own calls only")
        self.assertEqual(groups[0]["__count"], 20)
        # the true missed rate of an agent: missed inbound calls over inbound calls, not over all calls
        mine = self.calls.filtered(lambda c: c.user_id == self.agent)
        inbound = mine.filtered(lambda c: c.direction == "inbound")
        self.assertTrue(inbound.filtered("missed") and mine - inbound)
        self.assertAlmostEqual(groups[0]["missed_rate"], 100.0 * len(inbound.filtered("missed")) / len(inbound))
        team = self.assert_same_groups(manager, [], ["team_id"])
        self.assertEqual({g["team_id"] and g["team_id"][0] for g in team}, {self.team.id, False})

    def test_groups_in_odoo_order(self):
        """The pivot's groups by agent, number or team come in the order Odoo gives them (by name),
        empty ones last, dates in order, though the report orders them by id in SQL."""
        zed = new_test_user(self.env, "hourly_zed", name="Zed Agent", groups="teleum_telephony.group_teleum_own")
        adam = new_test_user(self.env, "hourly_adam", name="Adam Agent", groups="teleum_telephony.group_teleum_own")
        self.assertLess(zed.id, adam.id, "id order is not name order here")
        self.calls[0::4].user_id = zed
        self.calls[1::4].user_id = adam
        Report = self.env(user=self.manager, context={"tz": "Europe/Moscow"})["teleum.call.report"]
        measures = ["__count", "missed_rate:avg"]
        for groupby, lazy in ((["user_id"], False), (["user_id", "call_date:day"], False),
                              (["status", "user_id"], False), (["number_id"], True), (["team_id", "status"], True),
                              (["call_date:day", "user_id"], False)):
            ours = Report.read_group([], measures, groupby, lazy=lazy)
            odoo = Report.read_group([], measures, groupby, orderby=", ".join(groupby[:1] if lazy else groupby),
                                     lazy=lazy)
            self.assertEqual([{k: v for k, v in g.items() if k != "__domain"} for g in ours],
                             [{k: v for k, v in g.items() if k != "__domain"} for g in odoo], groupby)
        names = [g["user_id"] and g["user_id"][1] for g in Report.read_group([], ["__count"], ["user_id"])]
        self.assertEqual(names[:2], ["Adam Agent", "Zed Agent"])
        self.assertIs(names[-1], False)

    def test_stays_exact_through_writes(self):
        """Agent reassigned, status changed, calls deleted, rows inserted and updated in SQL: the table follows."""
        manager = self.env(user=self.manager, context={"tz": "Europe/Moscow"})["teleum.call"]
        self.calls[:10].user_id = self.other
        self.calls[10:15].write({"status": "answered", "duration": 5})
        self.calls[15:18].unlink()
        self.env.flush_all()
        self.env.cr.execute("UPDATE teleum_call SET user_id = NULL, call_date = call_date + interval '50 minutes' "
                            "WHERE id = ANY(%s)", [self.calls[20:25].ids])
        self.env.cr.execute("""INSERT INTO teleum_call (account_id, company_id, fingerprint, occurrence, call_date,
                                                        status, direction, missed, duration, user_id)
                               SELECT account_id, company_id, fingerprint || '-copy', 1, call_date, status,
                                      direction, missed, duration, user_id FROM teleum_call WHERE id = ANY(%s)""",
                            [self.calls[30:40].ids])
        self.env.invalidate_all()
        self.hourly_matches_calls()
        for groupby in (["user_id", "status"], ["call_date:day"]):
            self.assert_same_groups(manager, [], groupby)
        self.env.cr.execute("SELECT count(*) FROM teleum_call_stat WHERE call_count = 0")
        self.assertEqual(self.env.cr.fetchone()[0], 0, "no row of the analysis without calls")
        self.account.unlink()  # its calls go by cascade (a DELETE of PostgreSQL, not the ORM)
        self.hourly_matches_calls()


def stat_rows(cr, table):
    """The analysis' statistics as stored (teleum_call_stat), or as a GROUP BY over the calls (teleum_call)."""
    if table == "teleum_call_stat":
        cr.execute("""SELECT call_date, company_id, user_id, status, direction, number_id, call_count, duration_sum,
                             duration_n, inbound_count, missed_count, returnable_count, returned_count,
                             in_target_count, delay_sum FROM teleum_call_stat ORDER BY 1, 2, 3, 4, 5, 6""")
        return cr.fetchall()
    returnable = "missed AND remote_number IS NOT NULL"
    returned = f"{returnable} AND callback_call_id IS NOT NULL"
    cr.execute(f"""SELECT date_trunc('hour', call_date), company_id, user_id, status, direction, number_id, count(*),
                          coalesce(sum(duration), 0), count(duration), count(*) FILTER (WHERE direction = 'inbound'),
                          count(*) FILTER (WHERE missed), count(*) FILTER (WHERE {returnable}),
                          count(*) FILTER (WHERE {returned}),
                          count(*) FILTER (WHERE {returned} AND callback_in_target),
                          coalesce(sum(callback_delay) FILTER (WHERE {returned}), 0)
                     FROM teleum_call GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6""")
    return cr.fetchall()
