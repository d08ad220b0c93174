import shutil
import unittest

from odoo.tests import HttpCase, new_test_user, tagged

from .test_transcripts import TranscriptCase


@tagged("post_install", "-at_install")
class TestTranscriptTour(TranscriptCase, HttpCase):
    """In a real browser, a salesperson with their own calls: summary, transcript, seeking, search."""

    @unittest.skipUnless(shutil.which("chromium") or shutil.which("google-chrome") or shutil.which("chromium-browser"),
                         "no Chromium (dev/test installs Debian's chromium package)")
    def test_salesperson_reads_a_transcript(self):
        seller = new_test_user(self.env, "stt_seller", name="Stella Seller", lang="en_US",
                               groups="sales_team.group_sale_salesman,teleum_telephony.group_teleum_own")
        calls = self.recorded().filtered(lambda c: c.duration >= 10).sorted("call_date")
        calls[:2].user_id = seller  # two of the calls are hers: the word she types must pick one
        self.run_cron()
        self.assertTrue(all(c.transcript_summary for c in calls[:2]))
        self.start_tour("/odoo/action-teleum_telephony.teleum_call_action", "teleum_transcript_tour",
                        login="stt_seller", timeout=120)
