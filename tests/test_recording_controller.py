import re
from datetime import datetime, timedelta

import pytz

from odoo.tests import HttpCase, new_test_user, tagged

from ..sandbox.data import recording_bytes
from ..tools import format_phone
from .common import TeleumCase


@tagged("post_install", "-at_install")
class TestRecordingController(TeleumCase, HttpCase):
    """/teleum/recording/<call>: access first, no Teleum request for the unauthorised, Range support."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account.action_sync()
        cls.calls_with_recording = cls.env["teleum.call"].search(
            [("account_id", "=", cls.account.id), ("recording_id", "!=", False)], order="id")
        cls.call = cls.calls_with_recording[0]
        cls.audio = recording_bytes(cls.call.recording_id.file_id)
        cls.url = "/teleum/recording/%d" % cls.call.id
        cls.other_company = cls.env["res.company"].create({"name": "Other company"})
        cls.users = {
            "manager": new_test_user(cls.env, "rec_manager", password="rec_manager_pw",
                                     groups="teleum_telephony.group_teleum_manager"),
            "own": new_test_user(cls.env, "rec_own", password="rec_own_pw",
                                 groups="teleum_telephony.group_teleum_own"),
            "other_company": new_test_user(cls.env, "rec_other", password="rec_other_pw",
                                           groups="teleum_telephony.group_teleum_user",
                                           company_id=cls.other_company.id,
                                           company_ids=[(6, 0, cls.other_company.ids)]),
            "internal": new_test_user(cls.env, "rec_internal", password="rec_internal_pw",
                                      groups="base.group_user"),
            "portal": new_test_user(cls.env, "rec_portal", password="rec_portal_pw", groups="base.group_portal"),
        }

    def login(self, who):
        user = self.users[who]
        self.authenticate(user.login, user.login + "_pw")

    def get(self, headers=None, url=None):
        self.sandbox.reset_stats()
        return self.url_open(url or self.url, headers=headers, allow_redirects=False)

    def assert_no_teleum_leak(self, response):
        text = response.content.decode("latin-1") + repr(dict(response.headers))
        self.assertNotIn(self.sandbox.base_url, text)
        self.assertNotIn("sig=", text)
        self.assertNotIn("/records/", text)

    def test_full_recording(self):
        self.login("manager")
        response = self.get()
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "audio/mpeg")
        self.assertEqual(response.headers["Accept-Ranges"], "bytes")
        self.assertIn("private", response.headers["Cache-Control"])
        self.assertEqual(response.content, self.audio)
        self.assertEqual(self.sandbox.stats()["requests"].get("getRecordLink"), 1, "a fresh link each time")
        self.assert_no_teleum_leak(response)

    def test_saved_as_date_and_number(self):
        self.login("manager")
        call = self.call
        local = pytz.utc.localize(call.call_date).astimezone(pytz.timezone(self.account.timezone or "Europe/Moscow"))
        number = re.sub(r"\D", "", format_phone(call.remote_number) or call.src)
        name = "%s_%s.mp3" % (local.strftime("%Y-%m-%d_%H-%M"), number)
        self.assertRegex(name, r"^\d{4}-\d{2}-\d{2}_\d{2}-\d{2}_\d+\.mp3$")
        self.assertEqual(self.get().headers["Content-Disposition"], 'inline; filename="%s"' % name)
        download = self.get(url=self.url + "?download=1")
        self.assertEqual(download.status_code, 200)
        self.assertIn("attachment", download.headers["Content-Disposition"])
        self.assertIn(name, download.headers["Content-Disposition"])

    def test_range_request_for_seeking(self):
        self.login("manager")
        response = self.get(headers={"Range": "bytes=100-299"})
        self.assertEqual(response.status_code, 206)
        self.assertEqual(response.headers["Content-Range"], "bytes 100-299/%d" % len(self.audio))
        self.assertEqual(response.headers["Content-Type"], "audio/mpeg")
        self.assertEqual(response.content, self.audio[100:300])
        tail = self.get(headers={"Range": "bytes=-50"})
        self.assertEqual(tail.status_code, 206)
        self.assertEqual(tail.content, self.audio[-50:])
        self.assert_no_teleum_leak(response)

    def test_refused_without_teleum_request(self):
        # a user restricted to own calls, another company, a user without telephony, a portal user
        for who in ("own", "other_company", "internal", "portal"):
            with self.subTest(who=who):
                self.login(who)
                response = self.get()
                self.assertIn(response.status_code, (403, 404))
                self.assertNotEqual(response.headers.get("Content-Type"), "audio/mpeg")
                self.assertEqual(self.sandbox.stats()["total"], 0, "no request to Teleum")
                self.assert_no_teleum_leak(response)

    def test_public_visitor_is_sent_to_login(self):
        self.authenticate(None, None)
        response = self.get()
        self.assertIn(response.status_code, (302, 303, 401, 403, 404))
        self.assertEqual(self.sandbox.stats()["total"], 0)
        location = response.headers.get("Location", "")
        self.assertFalse(location and not location.startswith((self.base_url(), "/")), "no open redirect")
        self.assertNotIn(self.sandbox.base_url, location)

    def test_own_calls_user_hears_own_call(self):
        self.call.user_id = self.users["own"]
        self.login("own")
        response = self.get(headers={"Range": "bytes=0-9"})
        self.assertEqual(response.status_code, 206)
        self.assertEqual(response.content, self.audio[:10])

    def test_unknown_call_and_call_without_recording(self):
        self.login("manager")
        self.assertEqual(self.get(url="/teleum/recording/999999999").status_code, 404)
        no_rec = self.env["teleum.call"].search([("account_id", "=", self.account.id),
                                                 ("recording_id", "=", False)], limit=1)
        self.assertEqual(self.get(url="/teleum/recording/%d" % no_rec.id).status_code, 404)
        self.assertEqual(self.sandbox.stats()["total"], 0)

    def test_broken_download_is_not_kept(self):
        """A transfer that breaks off is not stored as the recording; the next run copies it whole."""
        self.account.write({"keep_recordings": True, "recording_retention_days": 3650})
        recording = self.call.recording_id
        others = self.env["teleum.recording"].search([("account_id", "=", self.account.id), ("id", "!=", recording.id)])
        others.call_date = "2000-01-01 00:00:00"  # past retention: not copied, this test is about one file
        self.sandbox.inject("malformed", "download", count=1)
        self.env["teleum.account"]._cron_recordings()
        self.assertFalse(recording.attachment_id, "half a file is not kept as the recording")
        self.assertTrue(recording.copy_error_date)
        self.sandbox.reset_stats()
        self.env["teleum.account"]._cron_recordings()
        self.assertFalse(self.sandbox.stats()["requests"].get("download"), "not retried at every run")
        recording.copy_error_date = datetime.now() - timedelta(days=2)
        self.env["teleum.account"]._cron_recordings()
        self.assertEqual(recording.attachment_id.raw, self.audio, "a day later it is copied whole")

    def test_copy_kept_in_odoo(self):
        self.account.write({"keep_recordings": True, "recording_retention_days": 3650})
        recording = self.call.recording_id
        for _run in range(10):  # the cron copies a batch per run
            self.env["teleum.account"]._cron_recordings()
            if recording.attachment_id:
                break
        self.assertTrue(recording.attachment_id, "the cron copied the recording")
        self.assertEqual(recording.attachment_id.raw, self.audio)
        self.login("manager")
        response = self.get(headers={"Range": "bytes=5-24"})
        self.assertEqual(response.status_code, 206)
        self.assertEqual(response.content, self.audio[5:25])
        self.assertEqual(response.headers["Content-Type"], "audio/mpeg")
        self.assertEqual(self.sandbox.stats()["total"], 0, "served from Odoo's copy")
        # past the retention period, Odoo deletes its copy (and plays from Teleum again)
        attachment = recording.attachment_id
        self.account.recording_retention_days = 1
        recording.call_date = "2000-01-01 00:00:00"
        self.env["teleum.account"]._cron_recordings()
        self.assertFalse(recording.attachment_id)
        self.assertFalse(attachment.exists())
