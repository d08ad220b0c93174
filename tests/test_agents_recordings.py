"""The "With recording" flag after every path, and calls given to a SIP line's user."""

from unittest.mock import patch

from lxml import etree

from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from ..models import teleum_sip
from .common import TeleumCase


@tagged("post_install", "-at_install")
class TestRecordingFlag(TeleumCase):
    def with_recording_count(self):
        """What the list shows with the search view's "With recording" filter on."""
        arch = etree.fromstring(self.env.ref("teleum_telephony.teleum_call_view_search").arch)
        domain = safe_eval(arch.xpath("//filter[@name='with_recording']")[0].get("domain"))
        self.env.invalidate_all()
        return self.env["teleum.call"].search_count(domain + [("account_id", "=", self.account.id)])

    def linked(self):
        return self.env["teleum.recording"].search([("account_id", "=", self.account.id), ("call_id", "!=", False)])

    def test_flag_after_first_sync_and_resyncs(self):
        self.account.action_sync()
        linked = self.linked()
        self.assertGreater(len(linked), 5, "the sandbox records about half the answered calls")
        self.assertEqual(self.with_recording_count(), len(linked))
        self.assertTrue(all(linked.call_id.mapped("has_recording")))
        self.account.action_sync()  # re-sync: unchanged months probed
        self.assertEqual(self.with_recording_count(), len(linked))
        self.forget_full_reads()
        self.account.action_sync()  # the daily pass reading every page again
        self.assertEqual(self.with_recording_count(), len(self.linked()))
        self.assertEqual(self.linked(), linked)

    def test_recording_removed_then_arriving_after_its_call(self):
        self.account.action_sync()
        total = self.with_recording_count()
        recording = self.linked()[:1]
        call = recording.call_id
        recording.unlink()
        self.assertFalse(call.has_recording, "a call whose recording is gone shows no player")
        self.assertEqual(self.with_recording_count(), total - 1)
        # the next sync reads Teleum's recording list again: the recording arrives after its call
        self.account.action_sync()
        self.env.invalidate_all()
        self.assertTrue(call.has_recording)
        self.assertTrue(call.recording_url)
        self.assertEqual(self.with_recording_count(), total)

    def test_recorded_call_of_a_later_sync(self):
        self.account.action_sync()
        total = self.with_recording_count()
        today = self.account._local_today()
        self.sandbox.add_call("demo@example.com", src="79031112299", dst="78123232323", record=True,
                              calldate=today.strftime("%Y-%m-%d 00:00:07"), billsec=42, disposition="ANSWERED")
        self.account.action_sync()
        call = self.calls().filtered(lambda c: c.src == "79031112299")
        self.assertEqual(len(call), 1)
        self.assertTrue(call.has_recording)
        self.assertEqual(self.with_recording_count(), total + 1)

    def test_flag_page_by_page_in_a_cron_run(self):
        """The cron reads a few pages a run: each imported call shows its recording at once, also on
        the pages of a month resumed by a later run (the recording list was read when it started)."""
        runs = []  # (calls stored, calls flagged) after each run
        with self.small_pages(7):
            for _run in range(300):
                remaining = self.account._sync_all(budget=2, parts=("calls",))
                self.assertEqual(self.account.state, "ok", self.account.last_error)
                self.env.invalidate_all()
                calls = self.calls()
                flagged = set(calls.filtered("has_recording").ids)
                self.assertEqual(set(self.linked().call_id.ids), flagged)
                runs.append((set(calls.ids), flagged))
                if not remaining:
                    break
        self.assertFalse(remaining, "the pass ended")
        final = runs[-1][1]
        self.assertGreater(len(final), 5)
        self.assertEqual(self.with_recording_count(), len(final))
        for stored, flagged in runs:  # no call waited for the end of its month to show its recording
            self.assertEqual(flagged, stored & final)
        self.assertGreater(len({len(stored) for stored, _flagged in runs}), 5, "many runs, each a few pages")


@tagged("post_install", "-at_install")
class TestAgents(TeleumCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = new_test_user(cls.env, "line_agent", groups="teleum_telephony.group_teleum_own",
                                  email="line_agent@example.org")
        cls.other = new_test_user(cls.env, "line_other", groups="teleum_telephony.group_teleum_own",
                                  email="line_other@example.org")

    def line_with_calls(self):
        self.account.action_sync()
        lines = self.env["teleum.sip"].search([("account_id", "=", self.account.id)])
        line = max(lines, key=lambda s: self.env["teleum.call"].search_count([("sip_id", "=", s.id)]))
        calls = self.env["teleum.call"].search([("sip_id", "=", line.id)])
        self.assertGreater(len(calls), 3)
        return line, calls

    def seen_by(self, user):
        self.env.invalidate_all()
        return self.env["teleum.call"].with_user(user).search([])

    def test_line_given_a_user_after_the_import(self):
        line, calls = self.line_with_calls()
        self.assertFalse(calls.user_id, "no line has a user yet: the import gave no agent")
        self.assertFalse(self.seen_by(self.agent), "own-calls user: no call of his yet")
        line.user_id = self.agent  # as a manager does it on the line's form
        self.assertEqual(calls.user_id, self.agent)
        self.assertEqual(self.seen_by(self.agent), calls)
        # calls imported from now on are his too
        today = self.account._local_today()
        self.sandbox.add_call("demo@example.com", src=line.num, dst="79161112233", billsec=30,
                              calldate=today.strftime("%Y-%m-%d 00:00:09"), disposition="ANSWERED")
        self.account.action_sync()
        self.assertEqual(len(self.seen_by(self.agent)), len(calls) + 1)

    def test_line_handed_over(self):
        line, calls = self.line_with_calls()
        line.user_id = self.agent
        kept = calls[0]
        kept.user_id = self.env.user  # a manager gave this call to someone else
        line.user_id = self.other
        self.assertEqual((calls - kept).user_id, self.other)
        self.assertEqual(kept.user_id, self.env.user)
        self.assertFalse(self.seen_by(self.agent))
        line.user_id = False  # a line without user: its calls stay with whoever had them
        self.assertEqual((calls - kept).user_id, self.other)

    def test_long_history_in_the_background(self):
        line, calls = self.line_with_calls()
        cron = self.env.ref("teleum_telephony.ir_cron_teleum_attribute_calls")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        with patch.object(teleum_sip, "ATTRIBUTION_INLINE_LIMIT", 2), patch.object(teleum_sip, "ATTRIBUTION_BATCH", 2):
            line.user_id = self.agent
            self.assertFalse(calls.user_id, "too many calls to give inline: left to the cron")
            self.assertEqual(self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers + 1)
            self.env["teleum.sip"]._cron_attribute_calls()
            self.assertEqual(len(calls.filtered("user_id")), 2, "one batch per run")
            for _run in range(len(calls)):
                self.env["teleum.sip"]._cron_attribute_calls()
        self.assertEqual(calls.user_id, self.agent)
        self.assertEqual(line.calls_user_id, self.agent)
        self.assertEqual(self.seen_by(self.agent), calls)

    def test_first_sync_proposes_users_from_the_lines_emails(self):
        emails = [s["email"] for s in self.sandbox.state("demo@example.com")["sips"]]
        user = new_test_user(self.env, emails[0], email=emails[0], groups="teleum_telephony.group_teleum_own")
        self.account.action_sync()
        line = self.env["teleum.sip"].search([("account_id", "=", self.account.id), ("email", "=", emails[0])])
        self.assertEqual(line.user_id, user)
        calls = self.env["teleum.call"].search([("sip_id", "=", line.id)])
        self.assertTrue(calls)
        self.assertEqual(calls.user_id, user)
