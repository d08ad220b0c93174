"""Secrets and record rules, tried the way a client would over RPC (search_read, read, fields_get,
read_group, export_data, web_search_read), not through the views; and no secret in any log line,
account error or message shown to a user."""

import contextlib
import logging
from contextlib import contextmanager
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from ..models import teleum_account
from ..teleum_api import TeleumClient, TeleumTransientError
from .common import DEMO_LOGIN, DEMO_PASSWORD, SECOND_LOGIN, SECOND_PASSWORD, TeleumCase

SECRET_FIELDS = ("password", "login", "api_url")


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []
        self.formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")

    def emit(self, record):
        self.records.append(self.format(record))  # message, args and traceback, as a log file gets them


class SecurityCase(TeleumCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account._sync_all()
        company = cls.env.company
        cls.company2 = cls.env["res.company"].create({"name": "Company B", "country_id": cls.env.ref("base.ru").id})
        cls.account2 = cls.env["teleum.account"].create({
            "name": "B", "company_id": cls.company2.id, "api_url": cls.sandbox.url,
            "login": SECOND_LOGIN, "password": SECOND_PASSWORD, "history_months": 1})
        cls.account2._sync_all()

        def user(login, groups, comp=company):
            return new_test_user(cls.env, login, groups=groups, company_id=comp.id,
                                 company_ids=[(6, 0, comp.ids)])

        sales = "sales_team.group_sale_salesman,base.group_allow_export,"
        cls.salesman = user("sec_salesman", sales + "teleum_telephony.group_teleum_user")
        cls.own = user("sec_own", sales + "teleum_telephony.group_teleum_own")
        cls.manager = user("sec_manager", "teleum_telephony.group_teleum_manager,base.group_allow_export")
        cls.internal = user("sec_internal", "base.group_user")
        cls.user_b = user("sec_b", "teleum_telephony.group_teleum_manager,base.group_allow_export", cls.company2)
        cls.portal = new_test_user(cls.env, "sec_portal", groups="base.group_portal")
        cls.public = cls.env.ref("base.public_user")
        cls.admin = user("sec_admin", "base.group_system")
        calls = cls.env["teleum.call"].search([("account_id", "=", cls.account.id), ("recording_id", "!=", False)])
        cls.own_call, cls.other_call = calls[0], calls[1]
        cls.own_call.user_id = cls.own
        cls.calls_b = cls.env["teleum.call"].search([("account_id", "=", cls.account2.id)])

    def setUp(self):
        super().setUp()
        self.use_fast_client()


@tagged("post_install", "-at_install")
class TestSecurityCredentials(SecurityCase):

    def test_credentials_unreadable_over_rpc(self):
        for user in (self.salesman, self.own, self.manager):
            Account = self.env["teleum.account"].with_user(user)
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    Account.search_read([], list(SECRET_FIELDS))
                for fname in SECRET_FIELDS:
                    with self.assertRaises(AccessError):
                        Account.search_read([], ["name", fname])
                    with self.assertRaises(AccessError):
                        Account.browse(self.account.id).read([fname])
                    with self.assertRaises(AccessError):
                        Account.web_search_read([], {"name": {}, fname: {}})
                    with self.assertRaises(AccessError):
                        Account.browse(self.account.id).export_data([fname])
                    with self.assertRaises(AccessError):
                        Account.read_group([], [fname], [fname])
                    # no search oracle: filtering on the secret would tell it character by character
                    with self.assertRaises(AccessError):
                        Account.search([(fname, "=like", DEMO_PASSWORD[:1] + "%")])
                rows = Account.search_read([])  # every field the user may read
                self.assertEqual(len(rows), 1)
                self.assertFalse(set(SECRET_FIELDS) & set(rows[0]))
                self.assertNotIn(DEMO_PASSWORD, repr(rows))
                self.assertNotIn(DEMO_PASSWORD, repr(Account.browse(self.account.id).read()))
                self.assertFalse(set(SECRET_FIELDS) & set(Account.fields_get()))
                view = Account.get_views([(False, "form")])
                self.assertNotIn('name="password"', view["views"]["form"]["arch"])

    def test_credentials_for_system_administrators(self):
        Account = self.env["teleum.account"].with_user(self.admin)
        row = Account.search_read([("id", "=", self.account.id)], list(SECRET_FIELDS))[0]
        self.assertEqual((row["login"], row["password"]), (DEMO_LOGIN, DEMO_PASSWORD))
        self.assertTrue(set(SECRET_FIELDS) <= set(Account.fields_get()))
        copy = self.account.copy()
        self.assertFalse(copy.password or copy.login, "a copy does not take the credentials")
        for field in SECRET_FIELDS:
            self.assertEqual(self.env["teleum.account"]._fields[field].groups, "base.group_system")

    def test_no_access_at_all(self):
        for user in (self.internal, self.portal, self.public):
            with self.subTest(user=user.login):
                for model in ("teleum.account", "teleum.call", "teleum.recording", "teleum.number",
                              "teleum.forward", "teleum.sip"):
                    with self.assertRaises(AccessError):
                        self.env[model].with_user(user).search_read([], ["id"])
                with self.assertRaises(AccessError):
                    self.env["teleum.call"].with_user(user).browse(self.own_call.id).read(["src"])
                partner = self.env["res.partner"].with_user(user).browse(user.partner_id.id)
                self.assertEqual(partner.teleum_call_count, 0)

    @contextmanager
    def capture_all_logs(self):
        handler = _Capture()
        root = logging.getLogger()
        names = ("teleum_api", "urllib3", "requests", "odoo.addons.teleum_telephony", "werkzeug")
        levels = {n: logging.getLogger(n).level for n in names}
        root_level = root.level
        root.addHandler(handler)
        root.setLevel(logging.DEBUG)
        for name in names:
            logging.getLogger(name).setLevel(logging.DEBUG)
        try:
            yield handler.records
        finally:
            root.removeHandler(handler)
            root.setLevel(root_level)
            for name, level in levels.items():
                logging.getLogger(name).setLevel(level)

    def test_secrets_absent_from_logs_errors_and_messages(self):
        tokens, links = [], []
        login, get_link = TeleumClient.login, TeleumClient.get_record_link

        def spy_login(client, *args, **kwargs):
            info = login(client, *args, **kwargs)
            tokens.append(info.token)
            return info

        def spy_link(client, *args, **kwargs):
            link = get_link(client, *args, **kwargs)
            links.append(link.split("sig=")[-1])
            return link

        shown = []  # every text a user could see
        teleum_account._CLIENTS.clear()
        with self.capture_all_logs() as records, self.small_pages(20), \
                patch.object(TeleumClient, "login", spy_login), \
                patch.object(TeleumClient, "get_record_link", spy_link):
            # a sync through every kind of fault (retries log warnings), sessions that end
            for kind in ("error500", "malformed", "drop", "session"):
                self.sandbox.inject(kind, "reportCalls")
            self.sandbox.inject("error502", "getRecordsList", count=2)
            for _run in range(4):
                self.account.action_sync()
                shown.append(self.account.last_error)
                self.sandbox.expire_sessions()
            self.assertEqual(self.account.state, "ok", self.account.last_error)
            self.assertTrue([t for t in shown if t], "the faults were reported")
            client = self.account._get_client()
            reprs = [repr(client)]  # developers see it (logs, debugger): no secret, the URL is fine
            # a recording played, a download that fails
            recording = self.own_call.recording_id
            link = client.get_record_link(recording.file_id)
            client.download(link).close()
            self.sandbox.inject("error500", "download", count=2)
            with self.assertRaises(Exception) as caught:
                client.download(link).raise_for_status()
            shown.append(str(caught.exception))
            # a refused password: test button, sync button, cron, and a write that needs Teleum
            self.account.password = "Wr0ng-" + DEMO_PASSWORD
            for action in (self.account.action_test_connection, self.account.action_sync_button):
                shown.append(repr(action()))
            self.env["teleum.account"]._cron_sync_requested()  # runs what Sync now asked for
            shown.append(self.account.last_error)
            shown += [v["message"] for v in self.env.cr.precommit.data.get("bus.bus.values", [])]  # notifications
            forward = self.env["teleum.forward"].search([("account_id", "=", self.account.id)], limit=1)
            with self.assertRaises(UserError) as caught:
                forward.timeout = 12 if forward.timeout != 12 else 13
            shown.append(str(caught.exception))
            self.account.password = DEMO_PASSWORD
        self.assertTrue(tokens and links)
        self.assertTrue(any("teleum_api" in r for r in records), "DEBUG lines of the client were captured")
        self.assertTrue(any("urllib3" in r for r in records), "urllib3's request lines were captured")
        shown += self.account.message_ids.mapped(lambda m: str(m.body) + str(m.tracking_value_ids.mapped(
            lambda t: (t.old_value_char, t.new_value_char))))
        shown = [str(text or "") for text in shown]
        secrets = {DEMO_PASSWORD, "Wr0ng-" + DEMO_PASSWORD, *tokens, *links}
        for secret in secrets:
            for line in records:
                self.assertNotIn(secret, line)
            for text in shown + reprs:
                self.assertNotIn(secret, text)
        for text in shown:
            self.assertNotIn("paswd=", text)
            self.assertNotIn(self.sandbox.url, text, "no Teleum URL in texts shown to users")

    def test_error_texts_never_quote_secrets(self):
        url = self.sandbox.url + "?cmd=reportCalls&token=0123456789abcdef&paswd=%s" % DEMO_PASSWORD
        for exc in (TeleumTransientError("Cannot connect to %s" % url, method="reportCalls"),
                    ValueError("boom at %s" % url), UserError("Failed on %s" % url)):
            with self.subTest(exc=type(exc).__name__):
                text = self.account._error_text(exc)
                self.assertNotIn(DEMO_PASSWORD, text)
                self.assertNotIn("0123456789abcdef", text)


@tagged("post_install", "-at_install")
class TestSecurityRecordRules(SecurityCase):
    """Per company and per group, tried with the ORM calls RPC clients make."""

    MODELS = ("teleum.call", "teleum.recording", "teleum.number", "teleum.forward", "teleum.sip",
              "teleum.connected.tariff", "teleum.account")

    def test_other_company_sees_nothing(self):
        env_b = self.env(user=self.user_b)
        for model in self.MODELS:
            with self.subTest(model=model):
                field = "id" if model == "teleum.account" else "account_id"
                mine = self.env[model].search([(field, "=", self.account.id)])
                self.assertTrue(mine, model)
                rows = env_b[model].search_read([], [field])
                self.assertTrue(rows, "company B sees its own %s" % model)
                ids_a = set(mine.ids)
                self.assertFalse(ids_a & {r["id"] for r in rows})
                self.assertEqual(env_b[model].search_count([("id", "in", mine.ids)]), 0)
                with self.assertRaises(AccessError):
                    env_b[model].browse(mine[:3].ids).read(["display_name"])
                with self.assertRaises(AccessError):
                    env_b[model].browse(mine[:1].ids).export_data(["display_name"])
                found = {i for i, _n in env_b[model].name_search(mine[0].display_name or "", limit=100)}
                self.assertFalse(found & ids_a)
        groups = env_b["teleum.call"].read_group([], ["duration:sum"], ["account_id"])
        self.assertEqual([g["account_id"][0] for g in groups], [self.account2.id], "no aggregate leaks")
        # a shared contact shows only the calls of the user's companies
        numbers_b = set(self.calls_b.mapped("remote_number"))
        call = self.env["teleum.call"].search([("account_id", "=", self.account.id),
                                               ("remote_number", "not in", list(numbers_b - {False})),
                                               ("remote_number", "!=", False)], limit=1)
        partner = self.env["res.partner"].create({"name": "Shared", "phone": "+" + call.remote_number})
        self.assertGreater(partner.teleum_call_count, 0)
        self.assertEqual(partner.with_user(self.user_b).teleum_call_count, 0)
        self.assertFalse(partner.with_user(self.user_b).teleum_recent_call_ids)
        # writes across companies are refused before reaching Teleum
        self.sandbox.reset_stats()
        with self.assertRaises(AccessError):
            env_b["teleum.call"].browse(call.id).write({"partner_id": False})
        with self.assertRaises(AccessError):
            env_b["teleum.sip"].browse(self.env["teleum.sip"].search(
                [("account_id", "=", self.account.id)], limit=1).id).write({"description": "hijack"})
        with self.assertRaises(AccessError):
            env_b["teleum.account"].browse(self.account.id).action_sync()
        self.assertEqual(self.sandbox.stats()["total"], 0, "nothing reached Teleum")

    def test_own_calls_user(self):
        env = self.env(user=self.own)
        Call = env["teleum.call"]
        rows = Call.search_read([], ["user_id", "recording_id"])
        self.assertEqual({r["id"] for r in rows}, {self.own_call.id})
        self.assertEqual(Call.search_count([]), 1)
        groups = Call.read_group([], ["duration:sum"], ["status"])
        self.assertEqual(sum(g["status_count"] for g in groups), 1)
        with self.assertRaises(AccessError):
            Call.browse(self.other_call.id).read(["src"])
        with self.assertRaises(AccessError):
            Call.browse(self.other_call.id).write({"partner_id": False})
        Recording = env["teleum.recording"]
        self.assertEqual(Recording.search([]), self.own_call.recording_id)
        with self.assertRaises(AccessError):
            Recording.browse(self.other_call.recording_id.id).read(["file_id"])
        with self.assertRaises(AccessError):
            Call.create({"account_id": self.account.id, "company_id": self.env.company.id, "fingerprint": "x"})
        with self.assertRaises(AccessError):
            Call.browse(self.own_call.id).unlink()
        # pointing the own call at someone else's recording does not open that recording
        with contextlib.suppress(AccessError, UserError):
            Call.browse(self.own_call.id).write({"recording_id": self.other_call.recording_id.id})
        with self.assertRaises(AccessError):
            Recording.browse(self.other_call.recording_id.id).check_access("read")

    def test_all_calls_user_and_manager(self):
        total = self.env["teleum.call"].search_count([("account_id", "=", self.account.id)])
        for user in (self.salesman, self.manager):
            with self.subTest(user=user.login):
                Call = self.env["teleum.call"].with_user(user)
                self.assertEqual(Call.search_count([]), total)
                self.assertEqual(self.env["teleum.recording"].with_user(user).search_count([]),
                                 self.env["teleum.recording"].search_count([("account_id", "=", self.account.id)]))
        # a salesman may not change forwards, SIP lines or numbers over RPC (nothing sent to Teleum)
        self.sandbox.reset_stats()
        forward = self.env["teleum.forward"].search([("account_id", "=", self.account.id)], limit=1)
        number = forward.number_id
        for model, record, vals in (("teleum.forward", forward, {"timeout": 9}),
                                    ("teleum.number", number, {"auto_lead": True}),
                                    ("teleum.account", self.account, {"name": "x"})):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(self.salesman).browse(record.id).write(vals)
        self.assertEqual(self.sandbox.stats()["total"], 0)

    def test_manager_sync_button(self):
        """A telephony manager (not an administrator) may sync: the import runs with the rights it needs."""
        self.sandbox.add_call(DEMO_LOGIN, src="79031234500", dst="78123232323",
                              calldate=self.account._local_today().strftime("%Y-%m-01 00:00:07"),
                              billsecu="3", billsec="00:03", disposition="ANSWERED", rdr="")
        before = len(self.calls())
        result = self.account.with_user(self.manager).action_sync_button()
        self.assertEqual(result["params"]["title"], "Sync started")
        self.assertEqual(self.account.sync_requested_by, self.manager)
        self.env["teleum.account"]._cron_sync_requested()  # the scheduled action it triggered
        self.assertEqual(self.account.state, "ok", self.account.last_error)
        self.assertEqual(len(self.calls()), before + 1)
        self.assertEqual(self.account.last_sync_new_calls, 1)


@tagged("post_install", "-at_install")
class TestSecurityRecordingErrors(TeleumCase, HttpCase):
    """The recording route when Teleum fails, and the redirect tricks (refusals are in
    test_recording_controller)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account._sync_all()
        cls.call = cls.env["teleum.call"].search([("account_id", "=", cls.account.id),
                                                  ("recording_id", "!=", False)], limit=1)
        new_test_user(cls.env, "sec_rec_mgr", password="sec_rec_mgr_pw",
                      groups="teleum_telephony.group_teleum_manager")

    def assertNoLeak(self, response):
        text = response.content.decode("latin-1") + repr(dict(response.headers))
        for leak in (self.sandbox.base_url, "sig=", "/records/", "token=", DEMO_PASSWORD):
            self.assertNotIn(leak, text)

    def test_teleum_failures_show_no_url(self):
        self.authenticate("sec_rec_mgr", "sec_rec_mgr_pw")
        url = "/teleum/recording/%d" % self.call.id
        for method, kind in (("getRecordLink", "error500"), ("getRecordLink", "malformed"),
                             ("download", "error502"), ("download", "drop"), ("getRecordLink", "session")):
            with self.subTest(method=method, kind=kind):
                self.sandbox.clear_faults()
                self.sandbox.inject(kind, method, count=10)
                response = self.url_open(url, allow_redirects=False)
                self.assertNotEqual(response.status_code // 100, 3, "never a redirect")
                self.assertNotIn("Location", response.headers)
                self.assertNoLeak(response)
        self.sandbox.clear_faults()

    def test_no_open_redirect(self):
        self.authenticate(None, None)
        for suffix in ("?redirect=https://evil.example/", "?next=//evil.example", "?redirect=%2F%2Fevil.example"):
            with self.subTest(suffix=suffix):
                response = self.url_open("/teleum/recording/%d%s" % (self.call.id, suffix), allow_redirects=False)
                location = response.headers.get("Location", "")
                self.assertNotIn("evil.example", location.split("?")[0])
                self.assertFalse(location.startswith(("//", "https://evil", "http://evil")))
                self.assertNoLeak(response)
        self.assertEqual(self.sandbox.stats()["total"], 0)


@tagged("post_install", "-at_install")
class TestSecurityBadInput(TeleumCase):
    """Every field a user types into a Teleum write: a wrong value is refused with a message and the
    write method's request counter at the sandbox does not move (test_write has the basic cases)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account._sync_all(parts=("config", "balance"))
        acc = [("account_id", "=", cls.account.id)]
        cls.number = cls.env["teleum.number"].search(acc + [("number", "=", "78123232323")])
        types = cls.env["teleum.forward.type"].search(acc)
        cls.kinds = {t.kind: t for t in types}
        cls.cid = cls.env["teleum.callerid.type"].search(acc + [("is_own", "=", False)], limit=1)
        cls.sip = cls.env["teleum.sip"].search(acc, limit=1)

    def sent(self, method):
        return self.sandbox.stats()["requests"].get(method, 0)

    def forward_vals(self, kind="phone", **kw):
        vals = {"number_id": self.number.id, "type_id": self.kinds[kind].id, "target": "+7 916 123-45-67",
                "timeout": 15, "callerid_type_id": self.cid.id}
        vals.update(kw)
        return vals

    def test_invalid_values_send_nothing(self):
        Forward, Sip = self.env["teleum.forward"], self.env["teleum.sip"]
        forward = Forward.search([("number_id", "=", self.number.id)], limit=1)
        wizard = self.env["teleum.get.number.wizard"]
        cases = [
            # (what, write method that must not be called, callable)
            *[("timeout %r" % t, "editForward", lambda t=t: Forward.create(self.forward_vals(timeout=t)))
              for t in (-1, 0, 4, 31, 3600, 10**12)],
            *[("timeout %r on edit" % t, "editForward", lambda t=t: forward.write({"timeout": t}))
              for t in (0, 31)],
            *[("phone %r" % n, "editForward", lambda n=n: Forward.create(self.forward_vals(target=n)))
              for n in ("", "   ", "12", "123456789", "call me", "+7 916 123-45-67-89-00-11", "7916;rm -rf",
                        "<script>alert(1)</script>", "+7 (916) ABC-45-67", "0" * 40, "７９１６１２３４５６７x")],
            *[("e-mail %r" % e, "editForward", lambda e=e: Forward.create(self.forward_vals("email", target=e)))
              for e in ("not-an-email", "a@b", "@example.com", "x@", "a b@example.com", "a@@example.com",
                        "x@example.com, y@example.com", "x@example.com\nBcc: y@example.com",
                        "Name <x@example.com>")],
            *[("SIP line %r" % n, "editForward", lambda n=n: Forward.create(self.forward_vals("sip", target=n)))
              for n in ("999", "abc", "101 OR 1=1")],
            *[("SIP password %r" % p, "editSIP", lambda p=p: self.sip.write({"new_password": p}))
              for p in ("short1", "onlyletters", "12345678901", "with space 123", "Password123",
                        "aaaaaaaa11", "\t\tTab1234567")],
            *[("SIP e-mail %r" % e, "editSIP", lambda e=e: self.sip.write({"email": e}))
              for e in ("not an email", "a@b", "a b@example.com", "Name <x@example.com>")],
            ("SIP description of 256 chars", "editSIP", lambda: self.sip.write({"description": "x" * 256})),
            ("new SIP line without password", "editSIP",
             lambda: Sip.create({"account_id": self.account.id, "email": "new@example.com"})),
            *[("series %r" % s_, "getFreeNumbers", lambda s_=s_: wizard._clean_serie(s_))
              for s_ in ("abc", "7812'--", "+7 (812) 323 45 67 89 01", "7812323456789", "78*", "%")],
        ]
        problems = []
        for what, method, action in cases:
            before = self.sent(method)
            try:
                with self.env.cr.savepoint():
                    action()
            except AccessError as exc:
                problems.append("%s: refused for rights, not for the value (%s)" % (what, exc))
            except UserError as exc:  # ValidationError is a UserError
                message = str(exc.args[0])
                if not message.strip() or "Traceback" in message:
                    problems.append("%s: no readable message" % what)
            except Exception as exc:
                problems.append("%s: crashed with %r" % (what, exc))
            else:
                problems.append("%s: accepted" % what)
            if self.sent(method) != before:
                problems.append("%s: a %s request was sent" % (what, method))
        self.assertEqual(problems, [])
        for write in ("editForward", "editSIP", "connectTariff", "deleteForward", "deleteSIP", "moveForward"):
            self.assertEqual(self.sent(write), 0, write)


@tagged("post_install", "-at_install")
class TestSecurityPbxFields(SecurityCase):
    """What the PBX reported about a call is written by the import only, whoever asks over RPC."""

    def test_users_cannot_rewrite_a_call(self):
        missed = self.env["teleum.call"].search([("account_id", "=", self.account.id), ("missed", "=", True)],
                                                limit=1)
        self.assertTrue(missed)
        missed.user_id = self.own
        before = missed.read(["duration", "status", "missed", "call_date", "src"])[0]
        for user in (self.own, self.salesman, self.manager, self.admin):  # each may write the call's contact
            for vals in ({"duration": 999, "status": "answered"}, {"call_date": "2020-01-01 00:00:00"},
                         {"src": "79990000000"}, {"recording_id": False}, {"listing_month": "2001-01"}):
                with self.subTest(user=user.login, vals=vals), \
                        self.assertRaisesRegex(UserError, "what Teleum reported"):
                    self.env["teleum.call"].with_user(user).browse(missed.id).write(vals)
        self.env.invalidate_all()
        self.assertEqual(missed.read(["duration", "status", "missed", "call_date", "src"])[0], before)
        self.assertTrue(missed.missed, "still missed: the statistics and call-backs tell the truth")

    def test_what_people_may_change(self):
        call = self.own_call
        lead = self.env["crm.lead"].create({"name": "Lead of the call"})
        partner = self.env["res.partner"].create({"name": "Contact of the call"})
        self.env["teleum.call"].with_user(self.own).browse(call.id).write({"partner_id": partner.id,
                                                                           "lead_id": lead.id})
        self.assertEqual((call.partner_id, call.lead_id), (partner, lead))
        # the agent: managers only
        with self.assertRaises(UserError):
            self.env["teleum.call"].with_user(self.salesman).browse(call.id).write({"user_id": self.salesman.id})
        self.env["teleum.call"].with_user(self.manager).browse(call.id).write({"user_id": self.salesman.id})
        self.assertEqual(call.user_id, self.salesman)

    def test_the_import_still_updates_calls(self):
        """A recording listed after its call: the import pairs them, whoever triggered the sync."""
        recording = self.own_call.recording_id
        self.own_call.recording_id = False
        recording.call_id = False
        recording.with_user(self.manager)._link_calls()
        self.assertEqual(self.own_call.recording_id, recording)
        self.assertTrue(self.own_call.has_recording)
