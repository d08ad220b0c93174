import re
from datetime import datetime, timedelta
from unittest.mock import patch

import pytz

from odoo.tests import tagged
from odoo.tools import SQL

from ..sandbox.data import external_numbers
from ..teleum_api.parsers import parse_call
from .common import DEMO_LOGIN, TeleumCase
from .test_screens_scale import stat_rows

MSK = pytz.timezone("Europe/Moscow")

UNREADABLE = [
    {"src": "79030000001", "dst": "78123232323", "billsec": "??", "billsecu": "abc",
     "disposition": "ANSWERED", "calldate": "2026-13-45 99:00:00", "rdr": ""},
    {"weird": ["shape"], "src": None},
]


@tagged("post_install", "-at_install")
class TestSetBasedImport(TeleumCase):
    """The import stores a page with one INSERT; the rows must be exactly those create() makes."""

    # one month running to today: every call is recent enough for leads and call-backs
    sandbox_options = {"seed": 11, "months": 1, "calls_per_month": 400}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account._sync_all(parts=("config",))
        cls.Call = cls.env["teleum.call"]
        agent = cls.env["res.users"].create({"name": "Agent 101", "login": "sql_agent_101"})
        sips = cls.env["teleum.sip"].search([("account_id", "=", cls.account.id)], order="num")
        sips[:2].user_id = agent
        numbers = cls.env["teleum.number"].search([("account_id", "=", cls.account.id)])
        numbers.write({"auto_lead": True, "lead_user_id": cls.env.ref("base.user_admin").id})
        # two callers in three are contacts (mixed formats), the others unknown: leads, call-backs
        callers = external_numbers(11, 200)
        cls.env["res.partner"].create([
            {"name": f"Caller {i}", "phone": f"8 ({n[1:4]}) {n[4:7]}-{n[7:9]}-{n[9:]}" if i % 2 else "+" + n,
             "user_id": agent.id if i % 4 == 0 else False}
            for i, n in enumerate(callers) if i % 3
        ])
        month = cls.account._calls_months()[-1]
        page = cls.account._get_client().report_calls(month.year, month.month, start=0, limit=1000)
        cls.month = month
        cls.rows = page.calls + [parse_call(row, cls.account._get_client().tz) for row in UNREADABLE]

    def import_page(self, orm):
        """Import the page on a savepoint, return what it left, and roll it back."""
        creates = []
        original_create = type(self.Call).create

        def create(model, vals_list):
            creates.append(len(vals_list))
            return original_create(model, vals_list)

        patches = [patch.object(type(self.Call), "create", create)]
        if orm:  # the fallback when the insert cannot be done set-based: calls, recordings, notes
            patches += [patch(f"odoo.addons.teleum_telephony.models.{module}.insert_columns", return_value=None)
                        for module in ("teleum_call", "teleum_recording")]
        Recording = self.env["teleum.recording"]
        with self.env.cr.savepoint() as savepoint:
            for p in patches:
                p.start()
            try:
                # as the pager does: the month's recordings first, given to the new calls as they are stored
                client = self.account._get_client()
                recordings = Recording._sync_month(self.account, client, self.month)
                ctx = self.Call._import_context(self.account)
                ctx["recordings"] = Recording._unpaired(self.account)
                calls = self.Call._import_rows(self.account, self.rows, {}, ctx, self.month)
            finally:
                for p in patches:
                    p.stop()
            self.env.flush_all()
            result = {"calls": self.snapshot(calls), "creates": creates, "recordings": self.recordings(recordings),
                      "notes": self.notes(calls), "activities": self.activities(), "leads": self.leads()}
            savepoint.rollback()
        self.env.invalidate_all(flush=False)
        return result

    def snapshot(self, calls):
        columns = [fn for fn, f in self.Call._fields.items() if f.store and f.column_type and fn != "id"]
        self.env.cr.execute(SQL(
            """SELECT %s FROM teleum_call c LEFT JOIN crm_lead l ON l.id = c.lead_id
                 LEFT JOIN teleum_recording r ON r.id = c.recording_id
                 LEFT JOIN teleum_call b ON b.id = c.callback_call_id WHERE c.id = ANY(%s) ORDER BY c.id""",
            SQL(", ").join([*(SQL("c.%s", SQL.identifier(fn)) for fn in columns), SQL("l.phone"), SQL("r.file_id"),
                            SQL("b.fingerprint")]),
            calls.ids,
        ))
        # a lead is known by its phone, a recording by its file, a return by its fingerprint: the two
        # runs make them under other ids
        return [dict(zip([*columns, "lead_phone", "recording_file", "returned_by"], row), lead_id=None,
                     recording_id=None, callback_call_id=None)
                for row in self.env.cr.fetchall()]

    def recordings(self, recordings):
        Recording = self.env["teleum.recording"]
        columns = [fn for fn, f in Recording._fields.items() if f.store and f.column_type and fn != "id"]
        self.env.cr.execute(SQL(
            """SELECT %s FROM teleum_recording r LEFT JOIN teleum_call c ON c.id = r.call_id
                WHERE r.id = ANY(%s) ORDER BY r.id""",
            SQL(", ").join([*(SQL("r.%s", SQL.identifier(fn)) for fn in columns),
                            SQL("c.fingerprint"), SQL("c.occurrence")]), recordings.ids))
        return [dict(zip([*columns, "call_fingerprint", "call_occurrence"], row), call_id=None)
                for row in self.env.cr.fetchall()]

    def notes(self, calls):
        Message = self.env["mail.message"]
        columns = [fn for fn, f in Message._fields.items()
                   if f.store and f.column_type and fn not in ("id", "message_id")]
        self.env.cr.execute(SQL(
            """SELECT %s FROM teleum_call_note_rel n JOIN mail_message m ON m.id = n.message_id
                 JOIN teleum_call c ON c.id = n.call_id LEFT JOIN crm_lead l ON m.model = 'crm.lead' AND l.id = m.res_id
                WHERE n.call_id = ANY(%s) ORDER BY c.id, m.model""",
            SQL(", ").join([*(SQL("m.%s", SQL.identifier(fn)) for fn in columns), SQL("l.phone"),
                            SQL("(SELECT count(*) FROM mail_message_res_partner_rel p WHERE p.mail_message_id = m.id)"),
                            SQL("(SELECT count(*) FROM mail_notification p WHERE p.mail_message_id = m.id)")]),
            calls.ids))
        # the body links the call by its id, which differs between the two runs
        rows = []
        for row in self.env.cr.fetchall():
            note = dict(zip([*columns, "lead_phone", "recipients", "notifications"], row))
            note["body"] = re.sub(r"(/teleum/recording/|data-oe-id=.)\d+", r"\1ID", note["body"])
            if note["model"] == "crm.lead":
                note["res_id"] = None
            rows.append(note)
        return rows

    def activities(self):
        acts = self.env["mail.activity"].search([
            ("activity_type_id", "=", self.env.ref("teleum_telephony.mail_activity_type_call_back").id)])
        return sorted((a.res_model, a.res_model == "res.partner" and a.res_id, a.user_id.id, a.summary, str(a.note))
                      for a in acts)

    def leads(self):
        return sorted(self.env["crm.lead"].search([("phone", "like", "+7%")]).mapped(
            lambda lead: (lead.phone, lead.user_id.id, lead.name, lead.teleum_phone_key)))

    def test_one_insert_leaves_the_rows_create_leaves(self):
        by_sql = self.import_page(orm=False)
        by_orm = self.import_page(orm=True)
        self.assertEqual(by_sql["creates"], [], "the set-based path did not go through create()")
        self.assertEqual(by_orm["creates"], [len(self.rows)])
        rows = by_sql["calls"]
        self.assertEqual(len(rows), len(self.rows))
        # the page has every kind of row, so the comparison covers every column's cases
        self.assertEqual({r["direction"] for r in rows}, {"inbound", "outbound", "internal"})
        self.assertTrue(any(r["partner_id"] for r in rows), "callers matched to contacts")
        self.assertTrue(any(r["lead_phone"] for r in rows), "unknown callers linked to their new lead")
        self.assertTrue(any(r["user_id"] for r in rows), "agents from their SIP lines")
        self.assertTrue(any(r["missed"] for r in rows) and any(not r["missed"] for r in rows))
        self.assertEqual(sum(1 for r in rows if r["parse_error"]), len(UNREADABLE))
        self.assertTrue(by_sql["activities"], "recent missed calls asked for call-backs")
        for sql_row, orm_row in zip(rows, by_orm["calls"], strict=True):
            self.assertEqual(sql_row, orm_row)
        self.assertEqual(by_sql["activities"], by_orm["activities"])
        self.assertEqual(by_sql["leads"], by_orm["leads"])
        # the month's recordings, each given to its call as the call was stored
        self.assertTrue(by_sql["recordings"])
        self.assertEqual(by_sql["recordings"], by_orm["recordings"])
        paired = [r for r in rows if r["recording_file"]]
        self.assertTrue(paired and all(r["has_recording"] for r in paired), "'With recording' set at once")
        self.assertEqual(len(paired), sum(1 for r in by_sql["recordings"] if r["call_fingerprint"]))
        # the notes in the leads' chatter: the same messages, with the player link where a recording is
        notes = by_sql["notes"]
        self.assertTrue(notes, "recent calls of leads were noted")
        self.assertTrue(any("Play the recording" in n["body"] for n in notes))
        self.assertEqual({(n["message_type"], n["is_internal"], n["recipients"], n["notifications"]) for n in notes},
                         {("comment", True, 0, 0)}, "internal notes, nobody notified")
        self.assertEqual(len(notes), len(by_orm["notes"]))
        for sql_note, orm_note in zip(notes, by_orm["notes"], strict=True):
            self.assertEqual({k: v for k, v in sql_note.items() if k not in ("create_date", "write_date")},
                             {k: v for k, v in orm_note.items() if k not in ("create_date", "write_date")})

    def test_hourly_statistics_follow_the_copy(self):
        """The page goes in with COPY: the statistics of the calls analysis count it too."""
        calls = self.Call._import_rows(self.account, self.rows, {}, self.Call._import_context(self.account), self.month)
        self.assertEqual(len(calls), len(self.rows))
        self.env.flush_all()
        cr = self.env.cr
        self.assertEqual(stat_rows(cr, "teleum_call_stat"), stat_rows(cr, "teleum_call"),
                         "the statistics are a GROUP BY over the calls")
        cr.execute("SELECT sum(call_count) FROM teleum_call_stat")
        self.assertGreaterEqual(cr.fetchone()[0], len(self.rows))

    def test_groups_by_agent_as_odoo_orders_them(self):
        """Pivot and grouped lists: the same groups, counts and order as Odoo's own name ordering."""
        calls = self.Call._import_rows(self.account, self.rows, {}, self.Call._import_context(self.account), self.month)
        zed, adam = self.env["res.users"].create([{"name": "Zed Agent", "login": "zed_agent"},
                                                  {"name": "Adam Agent", "login": "adam_agent"}])
        self.assertLess(zed.id, adam.id, "id order is not name order here")
        calls[0::3].user_id = zed
        calls[1::3].user_id = adam
        calls[2::3].user_id = False
        fields_ = ["__count", "duration:avg"]
        domain = [("account_id", "=", self.account.id)]
        for groupby, lazy in ((["user_id", "status"], False), (["user_id"], False), (["status", "user_id"], False),
                              (["partner_id"], True), (["user_id", "direction"], True)):
            ours = self.Call.read_group(domain, fields_, groupby, lazy=lazy)
            odoo = self.Call.read_group(domain, fields_, groupby, orderby=", ".join(groupby[:1] if lazy else groupby),
                                        lazy=lazy)
            self.assertEqual([{k: v for k, v in g.items() if k != "__domain"} for g in ours],
                             [{k: v for k, v in g.items() if k != "__domain"} for g in odoo], groupby)
        names = [g["user_id"] and g["user_id"][1] for g in self.Call.read_group(domain, ["__count"], ["user_id"])]
        self.assertEqual(names, ["Adam Agent", "Zed Agent", False])

    def test_unknown_stored_compute_falls_back_to_create(self):
        """A stored computed field the insert does not know (another module's) goes through create()."""
        field = self.Call._fields["missed"]
        with patch.object(field, "compute", "_compute_something_else"):
            self.assertIsNone(self.Call._sql_insert_columns([{"fingerprint": "x"}]))
        self.assertIsNotNone(self.Call._sql_insert_columns([{"fingerprint": "x"}]))


@tagged("post_install", "-at_install")
class TestCallbacksOverPages(TeleumCase):
    """A first import reads many pages at once: a caller's call-back is settled once, at the end."""

    sandbox_options = {"seed": 12, "months": 1, "calls_per_month": 40}

    def add_call(self, src, dst="78123232323", minutes_ago=60, disposition="NO ANSWER", billsec=0):
        when = datetime.now(MSK) - timedelta(minutes=minutes_ago)
        self.sandbox.add_call(DEMO_LOGIN, src=src, dst=dst, calldate=when.strftime("%Y-%m-%d %H:%M:%S"),
                              billsecu=str(billsec), billsec="%02d:%02d" % divmod(billsec, 60),
                              disposition=disposition, rdr="")

    def test_missed_reached_missed_over_pages_gives_one_callback(self):
        callback = self.env.ref("teleum_telephony.mail_activity_type_call_back")
        partner = self.env["res.partner"].create({"name": "Caller", "mobile": "+79161110001",
                                                  "user_id": self.env.ref("base.user_admin").id})
        self.add_call("79161110001", minutes_ago=300)
        self.add_call("79161110001", minutes_ago=200, disposition="ANSWERED", billsec=30)
        self.add_call("79161110001", minutes_ago=100, disposition="BUSY")
        pending = []
        original = type(self.env["teleum.call"])._teleum_defer_callbacks

        def defer(calls, company):
            original(calls, company)
            self.env.cr.execute("SELECT remote_number FROM teleum_callback_pending")
            pending.extend(k for (k,) in self.env.cr.fetchall())

        # pages of 3 rows: the three calls come on different pages (one row of overlap each)
        with self.small_pages(3), patch.object(type(self.env["teleum.call"]), "_teleum_defer_callbacks", defer):
            self.account.action_sync()
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        calls = self.env["teleum.call"].search([("remote_number", "=", "79161110001")], order="call_date")
        self.assertEqual(calls.mapped("status"), ["no_answer", "answered", "busy"])
        self.assertIn("79161110001", pending, "full pages left the caller to the last page")
        activity = self.env["mail.activity"].search([("res_model", "=", "res.partner"), ("res_id", "=", partner.id),
                                                     ("activity_type_id", "=", callback.id)])
        self.assertEqual(len(activity), 1, "the last word was a missed call: one call-back")
        self.assertIn("8 (916) 111-00-01", activity.summary)  # formatted as everywhere (tools/phone.py)
        done = self.env["mail.message"].search([("model", "=", "res.partner"), ("res_id", "=", partner.id),
                                                ("mail_activity_type_id", "=", callback.id)])
        self.assertFalse(done, "no call-back opened and closed again within one import")
        self.env.cr.execute("SELECT count(*) FROM teleum_callback_pending")
        self.assertEqual(self.env.cr.fetchone()[0], 0, "the last page settled every waiting caller")
