from datetime import datetime, timedelta

import pytz

from odoo import fields
from odoo.tests import new_test_user, tagged

from ..models.teleum_call import CALLBACK_WINDOW
from ..tools import format_phone
from .common import DEMO_LOGIN, TeleumCase

OUR_NUMBER = "78123232323"
MSK = pytz.timezone("Europe/Moscow")


class ChatterCase(TeleumCase):
    def notes(self, record):
        return self.env["mail.message"].search([("model", "=", record._name), ("res_id", "=", record.id),
                                                ("body", "ilike", "data-oe-model=_teleum.call_")], order="id")

    def add_call(self, src, minutes_ago, disposition="ANSWERED", billsec=0, rdr=""):
        when = datetime.now(MSK) - timedelta(minutes=minutes_ago)
        self.sandbox.add_call(DEMO_LOGIN, src=src, dst=OUR_NUMBER, calldate=when.strftime("%Y-%m-%d %H:%M:%S"),
                              billsecu=str(billsec), billsec="%02d:%02d" % divmod(billsec, 60),
                              disposition=disposition, rdr=rdr)


@tagged("post_install", "-at_install")
class TestChatterHistory(ChatterCase):
    """The first import of months of history notes only the calls of the call-back window."""

    def test_first_import_notes_only_recent_calls(self):
        self.env.company.teleum_chatter_calls = "leads_contacts"
        # contacts who called over the last weeks, known before the first sync
        numbers = ["7916180000%d" % i for i in range(1, 4)]
        partners = self.env["res.partner"].create([{"name": "Caller %s" % n, "phone": "+" + n} for n in numbers])
        for number in numbers:
            for days in (4, 9, 20):
                self.add_call(number, minutes_ago=days * 24 * 60, billsec=30)
        self.add_call(numbers[0], minutes_ago=15, billsec=42)
        self.add_call(numbers[1], minutes_ago=24 * 60, disposition="NO ANSWER")
        self.account.action_sync()
        calls = self.env["teleum.call"].search([("partner_id", "in", partners.ids)])
        limit = fields.Datetime.now() - CALLBACK_WINDOW
        old, recent = calls.filtered(lambda c: c.call_date < limit), calls.filtered(lambda c: c.call_date >= limit)
        self.assertEqual((len(old), len(recent)), (9, 2), "the history was imported")
        notes = self.env["mail.message"]
        for partner in partners:
            notes |= self.notes(partner)
        self.assertEqual(len(notes), 2, "one note per call of the last days, none for history")
        self.assertFalse(old.sudo().teleum_note_ids)
        self.assertEqual(recent.sudo().teleum_note_ids, notes)
        # a re-sync posts nothing again
        self.account.action_sync()
        self.assertEqual(sum(len(self.notes(p)) for p in partners), 2)


@tagged("post_install", "-at_install")
class TestChatterNotes(ChatterCase):
    """One compact note per new call, where the company's setting says, without notifying anyone."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account.action_sync()
        cls.agent = new_test_user(cls.env, "note_agent", name="Sam Seller", groups="sales_team.group_sale_salesman")
        cls.env["teleum.sip"].search([("account_id", "=", cls.account.id), ("num", "=", "101")]).user_id = cls.agent
        cls.follower = new_test_user(cls.env, "note_follower", name="Fiona Follower",
                                     groups="sales_team.group_sale_salesman")

    def setup_customers(self, prefix):
        """A lead of an unknown caller, a contact with an opportunity, a contact without one."""
        x, y, z = ("7916%s%03d" % (prefix, i) for i in (1, 2, 3))
        Lead = self.env["crm.lead"]
        self.lead_x = Lead.create({"name": "Lead X", "phone": "+" + x, "user_id": self.agent.id})
        self.lead_x.message_subscribe(partner_ids=self.follower.partner_id.ids)
        self.contact_y = self.env["res.partner"].create({"name": "Contact Y", "phone": "+" + y})
        self.opp_y = Lead.create({"name": "Opportunity Y", "type": "opportunity", "partner_id": self.contact_y.id})
        self.contact_z = self.env["res.partner"].create({"name": "Contact Z", "mobile": "+" + z})
        self.add_call(x, minutes_ago=50, billsec=65, rdr="Переадресация на: 101")
        self.add_call(x, minutes_ago=40, disposition="NO ANSWER")
        self.add_call(y, minutes_ago=30, billsec=20)
        self.add_call(z, minutes_ago=20, disposition="BUSY")
        return x, y, z

    def counts(self):
        return [len(self.notes(r)) for r in (self.lead_x, self.opp_y, self.contact_y, self.contact_z)]

    def sync_and_count(self, mode, prefix):
        self.env.company.teleum_chatter_calls = mode
        self.setup_customers(prefix)
        self.account.action_sync()
        counts = self.counts()
        self.account.action_sync()
        self.assertEqual(self.counts(), counts, "a re-sync posts nothing twice")
        return counts

    def test_default_setting_is_leads_only(self):
        company = self.env["res.company"].create({"name": "New company"})
        self.assertEqual(company.teleum_chatter_calls, "leads")

    def test_off(self):
        self.assertEqual(self.sync_and_count("off", "11"), [0, 0, 0, 0])

    def test_leads_only(self):
        # the unknown caller's lead gets both its calls, the contact's opportunity its one call
        self.assertEqual(self.sync_and_count("leads", "12"), [2, 1, 0, 0])

    def test_leads_and_contacts(self):
        self.assertEqual(self.sync_and_count("leads_contacts", "13"), [2, 1, 1, 1])

    def test_missed_calls_only(self):
        self.assertEqual(self.sync_and_count("missed", "14"), [1, 0, 0, 1])

    def test_note_content_and_no_notification(self):
        x, _y, _z = self.setup_customers("15")
        self.env.company.teleum_chatter_calls = "leads"
        mails_before = self.env["mail.mail"].search([])
        self.account.action_sync()
        answered, missed = self.notes(self.lead_x)
        call = self.env["teleum.call"].search([("remote_number", "=", x), ("status", "=", "answered")])
        self.assertEqual(call.sudo().teleum_note_ids, answered)
        text = answered.body.striptags() if hasattr(answered.body, "striptags") else answered.body
        # the number as everywhere (national for Russian numbers), the duration as h:mm:ss
        for part in ("Inbound call", format_phone(x), "0:01:05", "Answered", "agent: Sam Seller", "Open the call"):
            self.assertIn(part, text)
        self.assertIn('data-oe-model="teleum.call"', answered.body.replace("'", '"'))
        self.assertIn('data-oe-id="%d"' % call.id, answered.body.replace("'", '"'))
        self.assertEqual(answered.author_id, self.agent.partner_id, "written as the agent who answered")
        self.assertEqual(answered.date, call.call_date)
        self.assertIn("Missed call", missed.body)
        self.assertIn("No answer", missed.body)
        for note in answered | missed:
            self.assertEqual((note.message_type, note.subtype_id, note.is_internal),
                             ("comment", self.env.ref("mail.mt_note"), True))
            self.assertFalse(note.notification_ids, "no follower is notified")
        self.assertIn(self.follower.partner_id, self.lead_x.message_partner_ids)
        # (the call-back activity of the missed call tells its assignee, as before: not the notes)
        mails = self.env["mail.mail"].search([]) - mails_before
        self.assertFalse(mails.filtered(lambda m: m.mail_message_id in answered | missed), "no e-mail")
        self.assertFalse(mails.filtered(lambda m: self.follower.partner_id in m.recipient_ids),
                         "the lead's follower is not told")

    def test_recording_link_added_when_the_recording_arrives(self):
        self.env.company.teleum_chatter_calls = "leads_contacts"
        contact = self.env["res.partner"].create({"name": "Recorded", "phone": "+79161600001"})
        when = datetime.now(MSK) - timedelta(minutes=25)
        self.sandbox.add_call(DEMO_LOGIN, src="79161600001", dst=OUR_NUMBER,
                              calldate=when.strftime("%Y-%m-%d %H:%M:%S"), billsecu="75", billsec="01:15",
                              disposition="ANSWERED", record=True)
        self.account.action_sync()
        call = self.env["teleum.call"].search([("remote_number", "=", "79161600001")])
        self.assertTrue(call.recording_id, "the sandbox recorded it")
        note = self.notes(contact)
        self.assertEqual(len(note), 1)
        # the link opens the call, whose form has the player (not a bare audio tab)
        self.assertRegex(note.body, "data-oe-model=.teleum.call. data-oe-id=.%d.>Play the recording</a>" % call.id)
        self.assertNotIn("/teleum/recording/", note.body)

    def test_posting_is_batched(self):
        """The notes of a page cost the same few queries for 5 calls as for 50 (no query per call)."""
        self.env.company.teleum_chatter_calls = "leads_contacts"
        Call = self.env["teleum.call"].sudo()

        def post(count, start):
            partners = self.env["res.partner"].create([
                {"name": "Batch %d" % i, "phone": "+791619%05d" % i} for i in range(start, start + count)])
            calls = Call.create([{
                "account_id": self.account.id, "company_id": self.account.company_id.id,
                "call_date": fields.Datetime.now() - timedelta(minutes=10), "direction": "inbound",
                "status": "answered", "duration": 30, "remote_number": partner.teleum_phone_key,
                "partner_id": partner.id, "user_id": self.agent.id, "fingerprint": "batch-%d" % partner.id,
            } for partner in partners])
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            calls._teleum_post_notes()
            self.env.flush_all()
            return self.cr.sql_log_count - before, calls

        post(1, 0)  # warm-up: caches of xmlids, translations, fields
        few, few_calls = post(5, 100)
        many, many_calls = post(50, 200)
        self.assertEqual(len(few_calls.teleum_note_ids), 5)
        self.assertEqual(len(many_calls.teleum_note_ids), 50)
        self.assertLessEqual(many, few + 2, "queries for 50 calls: %d, for 5: %d" % (many, few))
