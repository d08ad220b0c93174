"""The screens that must stay fast at a million calls keep their answers: the search by contact
name (served by trigram indexes on res_partner) and the pivot and graph (served by the hourly
call statistics)."""

from datetime import datetime, timedelta
from unittest.mock import patch

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
    """The pivot and graph read the hourly statistics: always the answer the calls themselves give."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account = cls.env["teleum.account"].create({"name": "Hourly", "api_url": "http://127.0.0.1:9/api/v3/"})
        cls.agent = new_test_user(cls.env, "hourly_agent", groups="teleum_telephony.group_teleum_own",
                                  tz="Europe/Moscow")
        cls.other = new_test_user(cls.env, "hourly_other", groups="teleum_telephony.group_teleum_own")
        cls.manager = new_test_user(cls.env, "hourly_manager", groups="teleum_telephony.group_teleum_manager")
        statuses = ["answered", "no_answer", "busy", "failed", "answered"]
        users = [cls.agent, cls.other, cls.env["res.users"]]
        vals = []
        for i in range(60):  # 60 calls over 3 days, every 73 minutes and some seconds
            vals.append({
                "account_id": cls.account.id, "company_id": cls.env.company.id, "fingerprint": f"hourly-{i}",
                "call_date": datetime(2026, 3, 1, 20, 5, 7) + timedelta(minutes=73 * i, seconds=i),
                "status": statuses[i % 5], "direction": ("inbound", "outbound")[i % 2],
                "user_id": users[i % 3].id, "duration": None if i % 7 == 0 else 10 * i,
            })
        cls.calls = cls.env["teleum.call"].create(vals)
        cls.measures = ["__count", "duration:avg", "missed_rate:avg", "duration:sum"]

    def hourly_matches_calls(self):
        """The hourly table holds exactly the calls' counts and sums, hour by hour."""
        self.env.flush_all()
        cr = self.env.cr
        query = """SELECT date_trunc('hour', call_date), company_id, user_id, status, count(*),
                          coalesce(sum(duration), 0), count(duration), coalesce(sum(missed_rate), 0)::numeric,
                          count(missed_rate) FROM teleum_call GROUP BY 1, 2, 3, 4"""
        cr.execute(f"""SELECT call_date, company_id, user_id, status, call_count, duration, duration_n, missed_rate,
                              missed_rate_n FROM teleum_call_hourly WHERE call_count <> 0
                       EXCEPT {query}""")
        self.assertEqual(cr.fetchall(), [], "hourly rows that no call explains")
        cr.execute(f"""{query} EXCEPT SELECT call_date, company_id, user_id, status, call_count, duration,
                                             duration_n, missed_rate, missed_rate_n FROM teleum_call_hourly""")
        self.assertEqual(cr.fetchall(), [], "calls missing from the hourly rows")

    def assert_same_groups(self, Call, domain, groupby, expect_hourly=True):
        """read_group through the hourly table equals read_group over the calls, group for group."""
        Model = type(Call)
        source = Call._teleum_hourly_source(domain, groupby, self.measures, (), None)
        self.assertEqual(source is not None, expect_hourly, (domain, groupby))
        fast = Call.read_group(domain, self.measures, groupby, lazy=False)
        with patch.object(Model, "_teleum_hourly_source", lambda *args, **kwargs: None):
            slow = Call.read_group(domain, self.measures, groupby, lazy=False)
        self.assertTrue(slow, "the case has groups")
        self.assertEqual(fast, slow, (domain, groupby))
        return fast

    def test_pivot_and_graph_answers(self):
        """Pivot by agent and status and graph by day, whole and over a period cut inside hours,
        as a manager and as an agent (own calls)."""
        self.hourly_matches_calls()
        manager = self.env(user=self.manager, context={"tz": "Europe/Moscow"})["teleum.call"]
        agent = self.env(user=self.agent, context={"tz": "Europe/Moscow"})["teleum.call"]
        period = [("call_date", ">=", "2026-03-02 07:17:00"), ("call_date", "<=", "2026-03-03 21:00:00")]
        aligned = [("call_date", ">=", "2026-03-02 07:00:00"), ("call_date", "<", "2026-03-03 21:00:00")]
        for Call in (manager, agent):
            for domain in ([], period, aligned, [("status", "!=", "busy")] + period):
                for groupby in ([], ["status"], ["user_id"], ["user_id", "status"], ["call_date:day", "status"],
                                ["call_date:hour"], ["call_date:week"]):
                    self.assert_same_groups(Call, domain, groupby)
        groups = self.assert_same_groups(agent, [], ["user_id"])
        self.assertEqual([g["user_id"][0] for g in groups], [self.agent.id], "an agent sees their own calls only")
        self.assertEqual(groups[0]["__count"], 20)
        # the bound inside an hour is read from the calls: 07:17 leaves the 07:xx call out when it is earlier
        self.assertEqual(self.assert_same_groups(manager, period, [])[0]["__count"],
                         manager.search_count(period))

    def test_other_screens_read_the_calls(self):
        """Conditions or groupings the hourly rows cannot answer (direction, a Kolkata day) read the
        calls: the same answers."""
        manager = self.env(user=self.manager, context={"tz": "Europe/Moscow"})["teleum.call"]
        self.assert_same_groups(manager, [("direction", "=", "inbound")], ["status"], expect_hourly=False)
        self.assert_same_groups(manager, [], ["direction"], expect_hourly=False)
        self.assert_same_groups(manager, [("call_date", "in", ["2026-03-02 07:17:00"])], [], expect_hourly=False)
        kolkata = self.env(user=self.manager, context={"tz": "Asia/Kolkata"})["teleum.call"]
        self.assert_same_groups(kolkata, [], ["call_date:day"], expect_hourly=False)
        self.assert_same_groups(kolkata, [], ["status"])  # no date grouping: the zone does not matter

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
                                                        status, duration, missed_rate, user_id)
                               SELECT account_id, company_id, fingerprint || '-copy', 1, call_date, status,
                                      duration, missed_rate, user_id FROM teleum_call WHERE id = ANY(%s)""",
                            [self.calls[30:40].ids])
        self.env.invalidate_all()
        self.hourly_matches_calls()
        for groupby in (["user_id", "status"], ["call_date:day"]):
            self.assert_same_groups(manager, [], groupby)
        self.account.unlink()  # its calls go by cascade (a DELETE of PostgreSQL, not the ORM)
        self.hourly_matches_calls()
