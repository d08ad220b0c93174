"""Tests of the Teleum sandbox, over real HTTP (requests) to a server on an ephemeral port."""

import ast
import itertools
import json
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sandbox import TeleumSandbox  # noqa: E402
from sandbox.data import MSK  # noqa: E402


def _package_setup(setup=pytest.Package.setup):
    # The repository root is an Odoo addon whose __init__.py imports odoo. pytest 8 imports it
    # (and sandbox/__init__.py as "<dirname>.sandbox") only to look for setup_module when it sets
    # up the Package nodes above this file, so skip that for this repository's packages. Done
    # here rather than in a conftest.py, because teleum_api/tests does `from conftest import ...`
    # and a second rootless conftest module would shadow it when both suites run together.
    def patched(self):
        if self.path != REPO and REPO not in self.path.parents:
            setup(self)

    return patched


pytest.Package.setup = _package_setup()

TODAY = "2024-05-15"  # history window: March, April, May (up to the 15th) 2024
DEMO = ("demo@example.com", "989864")
SECOND = ("second@example.com", "second-pass-2")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
DATEF_RE = re.compile(r"^\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}:\d{2}$")
CALL_KEYS = ["src", "dst", "billsec", "disposition", "calldate", "calldatef", "billsecu", "rdr"]


class Client:
    """A bare client (no retries, no re-login) so that every sandbox behaviour reaches the test."""

    def __init__(self, sb, email=DEMO[0], password=DEMO[1]):
        self.sb, self.http = sb, requests.Session()
        login = self.http.get(sb.url, params={"cmd": "login", "email": email, "paswd": password}, timeout=10).json()
        self.token, self.vivaid = login["token"], login["vivaid"]

    def get(self, cmd, http_timeout=10, **params):
        params = dict(params, cmd=cmd, token=self.token, vivaid=self.vivaid)
        return self.http.get(self.sb.url, params=params, timeout=http_timeout)

    def __call__(self, cmd, **params):
        response = self.get(cmd, **params)
        assert response.status_code == 200, response.text
        return response.json()


def raw(sb, **params):
    return requests.get(sb.url, params=params, timeout=10)


def control(sb, action, payload=None, method="post"):
    response = getattr(requests, method)(f"{sb.base_url}_sandbox/{action}", json=payload, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def shared():
    """One sandbox for the read-only tests."""
    with TeleumSandbox(seed=1, today=TODAY) as sb:
        yield sb


@pytest.fixture(scope="module")
def ro(shared):
    return Client(shared)


@pytest.fixture
def sb():
    """A fresh sandbox for tests that change state, faults or settings."""
    with TeleumSandbox(seed=1, today=TODAY) as sb:
        yield sb


@pytest.fixture
def demo(sb):
    return Client(sb)


def calls(client, y=2024, m=4, **params):
    return client("reportCalls", y=y, m=m, **params)


# --- login, sessions, control ---------------------------------------------------------------

class TestSessions:
    def test_login_shape(self, shared):
        data = raw(shared, cmd="login", email="demo@example.com", paswd="989864").json()
        assert data["account"] == "00000001" and data["vivaid"] == 1  # vivaid is an int here only
        assert re.fullmatch(r"[0-9a-f]{32}", data["token"])
        second = raw(shared, cmd="login", email=SECOND[0], paswd=SECOND[1]).json()
        assert (second["account"], second["vivaid"]) == ("00000002", 2)

    @pytest.mark.parametrize("email,password", [("demo@example.com", "wrong"), ("nobody@example.com", "989864"),
                                                ("demo@example.com", "")])
    def test_login_rejected(self, shared, email, password):
        response = raw(shared, cmd="login", email=email, paswd=password)
        assert response.status_code == 200
        data = response.json()
        assert data["err"] == 1 and data["errmsg"] and "token" not in data

    def test_unknown_or_missing_cmd(self, shared, ro):
        assert ro("noSuchMethod")["err"] == 1
        assert raw(shared).json()["err"] == 1

    @pytest.mark.parametrize("case", ["nothing", "unknown token", "other vivaid", "no vivaid"])
    def test_session_required(self, shared, ro, case):
        params = {"nothing": {}, "unknown token": {"token": "0" * 32, "vivaid": "1"},
                  "other vivaid": {"token": ro.token, "vivaid": "2"}, "no vivaid": {"token": ro.token}}[case]
        response = raw(shared, cmd="balance", **params)
        assert response.status_code == 401
        assert response.json() == {"err": 1, "errmsg": "SESSION ENDED"}

    def test_session_error_body_style(self):
        with TeleumSandbox(today=TODAY, session_error_style="body") as sb:
            response = raw(sb, cmd="getSIPs", token="nope", vivaid="1")
            assert response.status_code == 200
            assert response.json() == {"err": 1, "errmsg": "SESSION ENDED"}

    def test_session_expires_after_inactivity(self):
        with TeleumSandbox(today=TODAY, session_ttl=0.6) as sb:
            client = Client(sb)
            for _ in range(4):  # activity keeps the session alive past its ttl
                assert client("balance")["balance"] == "1500.00"
                time.sleep(0.3)
            time.sleep(0.8)
            assert client.get("balance").status_code == 401
            assert client.get("balance").status_code == 401  # it stays dead
            assert Client(sb)("balance")["contract"] == "00000001"  # a new login works

    def test_expire_sessions(self, sb, demo):
        other = Client(sb, *SECOND)
        sb.expire_sessions()
        assert demo.get("balance").status_code == 401 and other.get("balance").status_code == 401
        demo, other = Client(sb), Client(sb, *SECOND)
        control(sb, "expire_sessions", {"email": "second@example.com"})
        assert demo.get("balance").status_code == 200 and other.get("balance").status_code == 401
        control(sb, "expire_sessions")
        assert demo.get("balance").status_code == 401

    def test_set_password(self, sb):
        sb.set_password("demo@example.com", "n3w-Password")
        assert raw(sb, cmd="login", email=DEMO[0], paswd=DEMO[1]).json()["err"] == 1
        assert Client(sb, DEMO[0], "n3w-Password")("balance")["vivaid"] == "1"
        control(sb, "set_password", {"email": "demo@example.com", "password": "again-2"})
        assert Client(sb, DEMO[0], "again-2").token

    def test_stats_count_every_request(self, sb, demo):
        sb.reset_stats()
        demo("balance")
        demo.get("noSuchMethod")
        raw(sb, cmd="balance", token="bad", vivaid="1")
        sb.inject("error500", "getSIPs")
        demo.get("getSIPs")
        stats = sb.stats()
        assert stats["requests"] == {"balance": 2, "noSuchMethod": 1, "getSIPs": 1}
        assert stats["total"] == 4
        assert control(sb, "stats", method="get")["requests"]["balance"] == 2
        control(sb, "reset_stats")
        assert sb.stats() == {"requests": {}, "total": 0}

    def test_control_errors(self, sb):
        assert requests.post(f"{sb.base_url}_sandbox/nope", timeout=5).status_code == 404
        assert requests.get(f"{sb.base_url}_sandbox/inject", timeout=5).status_code == 405
        bad = requests.post(f"{sb.base_url}_sandbox/inject", json={"kind": "meteor"}, timeout=5)
        assert bad.status_code == 400 and bad.json()["ok"] is False
        state = control(sb, "state?email=demo@example.com", method="get")
        assert state["balance"] == "1500.00" and "password" not in json.dumps(state)


# --- shapes of the read-only methods ----------------------------------------------------------

class TestShapes:
    def test_balance(self, ro):
        assert ro("balance") == {"contract": "00000001", "balance": "1500.00", "vivaid": "1"}

    def test_php_style_json_on_the_wire(self, ro):
        text = ro.get("getForwardsTypes").text
        assert text.isascii() and "\\u0422\\u0435\\u043b" in text  # "Тел…" escaped like PHP
        fileid = ro("getRecordsList", y=2024, m=4)["records"][0]["id"]
        assert '"http:\\/\\/127.0.0.1:' in ro.get("getRecordLink", fileid=fileid).text

    def test_connected_numbers_keys_have_spaces(self, ro):
        data = ro("getConnectedNumbers")
        assert data["vivaid"] == "1"
        assert data["numbers"] == [
            {" number ": "78123232323", " numberform ": "+7 (812) 323-2323"},
            {" number ": "74951234567", " numberform ": "+7 (495) 123-4567"},
            {" number ": "78005553535", " numberform ": "+7 (800) 555-3535"},
        ]

    def test_rcids_and_type_lists(self, ro):
        rcids = ro("getRCIDs")
        assert rcids["vivaid"] == 1
        assert [r["numberform"] for r in rcids["rcids"]] == [
            "+7 (812) 323-2323", "+7 (495) 123-4567", "+7 (800) 555-3535"]
        assert all(isinstance(r["id"], str) for r in rcids["rcids"])
        assert ro("getForwardsTypes")["forwardTypes"] == [
            {"id": 1, "name": "SIP"}, {"id": 2, "name": "Телефон"}, {"id": 3, "name": "Автоответчик"},
            {"id": 4, "name": "Факс"}]
        assert ro("getForwardsRCIDs")["forwardRCIDs"] == [
            {"id": "1", "name": "вызывающего"}, {"id": "2", "name": "групповой"}, {"id": "3", "name": "свой"}]
        assert ro("getNumbersTypes") == {"vivaid": 1, "numberTypes": [
            {"id": 0, "name": "простой"}, {"id": 1, "name": "серебряный"}, {"id": 2, "name": "золотой"}]}

    def test_forwards(self, ro):
        ids = [r["id"] for r in ro("getRCIDs")["rcids"]]
        all_forwards = []
        for nid in ids:
            data = ro("getForwards", numberid=nid)
            assert data["vivaid"] == "1" and data["number"] == int(nid)
            assert [f["direction"] for f in data["forwards"]] == [str(i) for i in range(1, len(data["forwards"]) + 1)]
            all_forwards += data["forwards"]
        keys = {"id", "rtype", "rnum", "rtime", "rcid", "direction", "rec", "deleted", "vpbx", "dowjs2", "rcnid",
                "moh", "rtname", "cname", "times"}
        for f in all_forwards:
            assert set(f) == keys
            assert all(isinstance(v, str) for k, v in f.items() if k != "rcnid")
            assert f["deleted"] == "0" and f["rec"] in ("0", "1")
            schedule = json.loads(f["dowjs2"])  # a JSON string inside the JSON
            assert schedule and all(set(w) == {"ttsh", "ttsm", "ttfh", "ttfm", "dts", "dtf"} for w in schedule)
            assert (f["rcnid"] is not None) == (f["rcid"] == "3")
        assert {f["rtname"] for f in all_forwards} >= {"SIP", "Телефон", "Автоответчик"}
        times = {f["times"] for f in all_forwards}
        assert "Понедельник-Воскресенье 00:00-23:59" in times and "Понедельник-Пятница 09:00-18:00" in times
        assert ro("getForwards", numberid=999999)["err"] == 1

    def test_forward_times_match_schedule(self, ro):
        nid = ro("getRCIDs")["rcids"][0]["id"]
        for forward in ro("getForwards", numberid=nid)["forwards"]:
            data = ro("getForwardTimes", id=forward["id"])
            assert data["vivaid"] == 1 and data["id"] == forward["id"]
            windows = json.loads(forward["dowjs2"])
            assert len(data["forwardTimes"]) == len(windows)
            for window, row in zip(windows, data["forwardTimes"]):
                assert isinstance(row["id"], int)
                assert row["startTime"] == f"{int(window['ttsh']):02d}:{int(window['ttsm']):02d}:00"
                assert row["finishDayOfWeek"] == window["dtf"]
                assert row["startDayOfWeekWord"] in ("Понедельник", "Суббота")
        assert ro("getForwardTimes", id=1)["err"] == 1

    def test_sips(self, ro):
        data = ro("getSIPs")
        assert "spis" in data and "sips" not in data
        lines = data["spis"]
        assert [s["num"] for s in lines] == ["101", "102", "103"]
        assert data["id"] == next(s["id"] for s in lines if s["def"] == "1")
        for line in lines:
            assert set(line) == {"id", "num", "email", "def", "rcid", "descr", "uagent", "status"}
            assert re.fullmatch(r"[a-z]+@example\.com", line["email"])
            assert line["status"] == ("online" if line["uagent"] else "offline")
        assert ro("getNextSIP") == {"vivaid": 1, "num": 104}

    def test_tariffs(self, ro):
        groups = ro("getTariffGroups")
        assert groups["vivaid"] == 1 and [g["id"] for g in groups["tariffGroups"]] == ["1", "2", "3"]
        tariffs = ro("getTariffs", tg=1)
        assert tariffs == ro("getTariffGroups", tg=1)  # the page's wrong example works too
        assert ro("getTariffs", tg=99)["tariffs"] == [] and ro("getTariffs")["tariffs"] == []
        rows = tariffs["tariffs"]
        keys = {"id", "name", "name_lng", "numreq", "numreg", "numreg_name", "numtype", "numtype_name", "textf",
                "connectPrice", "aboPrice"}
        assert all(set(t) == keys for t in rows)
        assert {type(t["name_lng"]) for t in rows} == {list, dict}
        assert all(t["name_lng"] == [] for t in rows if isinstance(t["name_lng"], list))
        assert any(t["numreg_name"] == "федеральный 7-800" for t in rows)
        assert any(t["numtype_name"] == "золотой" for t in rows)
        packages = ro("getTariffs", tg=2)["tariffs"]
        assert packages and all(t["numreq"] == "0" and t["numreg"] == "0" for t in packages)

    def test_connected_tariffs(self, ro):
        data = ro("getConnectedTariffs")
        assert data["vivaid"] == "1"
        rows = data["connected"]
        assert {r["numf"] for r in rows if r["nid"]} == {"+7 (812) 323-2323", "+7 (495) 123-4567", "+7 (800) 555-3535"}
        package = [r for r in rows if r["nid"] is None]
        assert package and package[0]["numf"] == "" and DATE_RE.match(package[0]["link_date"])

    def test_free_numbers(self, ro):
        data = ro("getFreeNumbers", nr=1, nt=0, start=0, limit=20)
        assert data["vivaid"] == "1" and isinstance(data["numbersCount"], str)
        assert 200 <= int(data["numbersCount"]) <= 400
        assert {s["serie"] for s in data["numbersSeries"]} == {"7812323", "7812309", "7812407"}
        assert {"serie": "7812323", "serie_form": "+7 (812) 323-хххх"} in data["numbersSeries"]
        assert len(data["freeNumbers"]) == 20
        for n in data["freeNumbers"]:
            assert (n["nregion"], n["ntype"], n["cost"]) == ("1", "0", "0.00")
            assert n["numberform"] == f"+7 ({n['number'][1:4]}) {n['number'][4:7]}-{n['number'][7:]}"
        page2 = ro("getFreeNumbers", nr=1, nt=0, start=20, limit=20)["freeNumbers"]
        assert page2[0]["number"] > data["freeNumbers"][-1]["number"]
        serie = ro("getFreeNumbers", nr=1, nt=0, serie="7812407")
        assert all(n["number"].startswith("7812407") for n in serie["freeNumbers"])
        assert int(serie["numbersCount"]) == len(serie["freeNumbers"]) < int(data["numbersCount"])
        gold = ro("getFreeNumbers", nr=3, nt=2, limit=5)["freeNumbers"]
        assert all(n["ntype"] == "2" and n["nregion"] == "3" and n["cost"] == "5500.00" for n in gold)
        assert "78123232323" not in {n["number"] for n in ro("getFreeNumbers", nr=1, nt=2)["freeNumbers"]}


# --- call history and recordings --------------------------------------------------------------

class TestCalls:
    def test_report_shape(self, shared, ro):
        data = calls(ro)
        assert data["vivaid"] == "1" and data["counts"] == 200 and len(data["calls"]) == 200
        ours = {"78123232323", "74951234567", "78005553535", "101", "102", "103"}
        externals = set(shared.external_numbers(200))
        previous = ""
        for row in data["calls"]:
            assert list(row) == CALL_KEYS
            assert DATE_RE.match(row["calldate"]) and row["calldate"].startswith("2024-04-")
            assert row["calldate"] >= previous
            previous = row["calldate"]
            d, t = row["calldate"].split()
            assert row["calldatef"] == f"{d[8:10]}.{d[5:7]}.{d[:4]} {t}"
            minutes, seconds = map(int, row["billsec"].split(":"))
            assert row["billsecu"] == str(minutes * 60 + seconds) and len(row["billsec"]) >= 5
            assert row["src"] in ours | externals and row["dst"] in ours | externals
            assert row["src"] in ours or row["dst"] in ours
            if row["disposition"] != "ANSWERED":
                assert row["billsecu"] == "0"
        assert any(r["rdr"].startswith("Переадресация на: ") for r in data["calls"])
        assert all(re.fullmatch(r"79\d{9}|7(495|499|812|843)\d{7}", n) for n in externals)

    def test_every_month_has_identical_pair_and_odd_disposition(self, ro):
        for m in (3, 4, 5):
            rows = calls(ro, m=m)["calls"]
            assert any(a == b for a, b in itertools.pairwise(rows))
            assert {r["disposition"] for r in rows} == {"ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION"}

    def test_window(self, ro):
        may = calls(ro, m=5)
        assert may["counts"] == 200 and max(r["calldate"] for r in may["calls"]) < "2024-05-16"
        assert calls(ro, m=2) == {"vivaid": "1", "counts": 0, "calls": []}
        assert calls(ro, m=6)["counts"] == 0
        assert calls(ro, y=2023, m=4)["counts"] == 0

    def test_paging(self, ro):
        full = calls(ro)["calls"]
        pages = [calls(ro, start=s, limit=37) for s in range(0, 200, 37)]
        assert all(p["counts"] == 200 for p in pages)
        assert [c for p in pages for c in p["calls"]] == full
        assert calls(ro, start=190)["calls"] == full[190:]  # no limit: everything from start
        assert calls(ro, start=500, limit=10) == {"vivaid": "1", "counts": 200, "calls": []}

    def test_type_filter(self, ro):
        full = calls(ro)["calls"]
        total = 0
        for disposition in ("ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION"):
            data = calls(ro, type=disposition, limit=5)
            expected = [r for r in full if r["disposition"] == disposition]
            assert data["counts"] == len(expected) and data["calls"] == expected[:5]
            total += data["counts"]
        assert total == 200

    @pytest.mark.parametrize("params", [{}, {"y": 2024}, {"y": 2024, "m": 13}, {"y": "x", "m": 4},
                                        {"y": 2024, "m": 4, "start": -1}])
    def test_report_bad_params(self, ro, params):
        assert ro("reportCalls", **params)["err"] == 1

    def test_determinism(self, shared, ro):
        with TeleumSandbox(seed=1, today=TODAY) as same, TeleumSandbox(seed=2, today=TODAY) as other:
            twin, stranger = Client(same), Client(other)
            assert calls(twin) == calls(ro)
            assert twin("getSIPs") == ro("getSIPs")
            assert twin("getFreeNumbers", nr=2, nt=1) == ro("getFreeNumbers", nr=2, nt=1)
            assert calls(stranger)["calls"] != calls(ro)["calls"]
            assert same.external_numbers(20) == shared.external_numbers(20) != other.external_numbers(20)
        second = Client(shared, *SECOND)
        assert calls(second)["calls"] != calls(ro)["calls"]
        assert next(n[" number "] for n in second("getConnectedNumbers")["numbers"]).startswith("7812")

    def test_add_call(self, sb, demo):
        before = calls(demo)["calls"]
        row = sb.add_call("demo@example.com", src="79990001122", dst="78123232323", calldate="2024-04-10 12:00:00",
                          billsec=105, disposition="ANSWERED", rdr="Переадресация на: 101")
        assert row["billsec"] == "01:45" and row["billsecu"] == "105" and row["calldatef"] == "10.04.2024 12:00:00"
        after = calls(demo)
        assert after["counts"] == 201
        i = after["calls"].index(row)
        assert after["calls"][:i] + after["calls"][i + 1:] == before
        assert all(r["calldate"] <= "2024-04-10 12:00:00" for r in after["calls"][:i])
        assert all(r["calldate"] > "2024-04-10 12:00:00" for r in after["calls"][i + 1:])
        assert calls(demo, type="ANSWERED")["counts"] == len([r for r in before if r["disposition"] == "ANSWERED"]) + 1
        # over HTTP, in a month outside the history window, with a recording
        answer = control(sb, "add_call", {"email": "demo@example.com", "src": "101", "dst": "79161234567",
                                          "calldate": "2023-01-05 09:30:00", "billsec": "02:00", "record": True})
        assert answer["call"]["billsecu"] == "120"
        assert calls(demo, y=2023, m=1)["calls"] == [{k: answer["call"][k] for k in CALL_KEYS}]
        records = demo("getRecordsList", y=2023, m=1)["records"]
        assert [r["id"] for r in records] == [answer["call"]["id"]]
        assert demo("getRecordLink", fileid=answer["call"]["id"])["error"] == 0

    def test_no_call_later_than_the_clock(self):
        """The current month's calls all lie before the clock, still ``calls_per_month`` of them,
        in order, and their recordings can be fetched."""
        now = datetime.now(MSK).replace(tzinfo=None)
        with TeleumSandbox(seed=1, months=1, calls_per_month=3000) as sb:
            client = Client(sb)
            month = calls(client, y=now.year, m=now.month)
            dates = [r["calldate"] for r in month["calls"]]
            assert month["counts"] == len(dates) == 3000
            assert dates == sorted(dates)
            assert dates[-1] <= datetime.now(MSK).strftime("%Y-%m-%d %H:%M:%S")
            records = client("getRecordsList", y=now.year, m=now.month)["records"]
            assert records and all(r["calldate"] <= dates[-1] for r in records)
            assert client("getRecordLink", fileid=records[-1]["id"])["error"] == 0

    def test_hundred_thousand_calls_month(self):
        with TeleumSandbox(seed=3, months=1, calls_per_month=100_000, today=TODAY) as sb:
            client = Client(sb)
            started = time.monotonic()
            first = calls(client, m=5, limit=500)
            assert time.monotonic() - started < 10
            last = calls(client, m=5, start=99_900, limit=500)
            assert first["counts"] == last["counts"] == 100_000 and len(last["calls"]) == 100
            assert first["calls"][-1]["calldate"] <= last["calls"][0]["calldate"]
            started = time.monotonic()
            for start in range(500, 10_500, 500):
                calls(client, m=5, start=start, limit=500)
            assert time.monotonic() - started < 10  # pages are served from the cached month


class TestRecordings:
    def test_records_list(self, ro):
        answered = [r for r in calls(ro)["calls"] if r["disposition"] == "ANSWERED"]
        data = ro("getRecordsList", y=2024, m=4)
        records = data["records"]
        assert data["vivaid"] == 1
        assert 0.3 * len(answered) <= len(records) <= 0.7 * len(answered)
        assert len({r["id"] for r in records}) == len(records)
        for record in records:
            assert list(record) == ["id"] + CALL_KEYS[:-1]
            assert re.fullmatch(r"\d{10}\.\d+", record["id"]) and record["disposition"] == "ANSWERED"
        # ids are "<unix time>.<serial>": Moscow is UTC+3
        first = records[0]
        local = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(first["id"].split(".")[0]) + 3 * 3600))
        assert local == first["calldate"]

    def test_link_and_download(self, shared, ro):
        shared.reset_stats()
        fileid = ro("getRecordsList", y=2024, m=4)["records"][3]["id"]
        data = ro("getRecordLink", fileid=fileid)
        assert data["vivaid"] == "1" and data["error"] == 0 and "err" not in data and "errormsg" not in data
        assert re.fullmatch(rf"{re.escape(shared.base_url)}records/{re.escape(fileid)}\.mp3\?exp=\d+&sig=[0-9a-f]+",
                            data["link"])
        audio = requests.get(data["link"], timeout=10)
        assert audio.status_code == 200 and audio.headers["Content-Type"] == "audio/mpeg"
        assert audio.headers["Accept-Ranges"] == "bytes"
        body = audio.content
        assert body.startswith(b"ID3") and b"\xff\xfb\x18\xc0" in body and 2000 < len(body) < 10000
        assert requests.get(ro("getRecordLink", fileid=fileid)["link"], timeout=10).content == body  # deterministic
        part = requests.get(data["link"], headers={"Range": "bytes=100-199"}, timeout=10)
        assert part.status_code == 206 and part.content == body[100:200]
        assert part.headers["Content-Range"] == f"bytes 100-199/{len(body)}"
        tail = requests.get(data["link"], headers={"Range": "bytes=-50"}, timeout=10)
        assert tail.status_code == 206 and tail.content == body[-50:]
        bad = requests.get(data["link"], headers={"Range": f"bytes={len(body) + 10}-"}, timeout=10)
        assert bad.status_code == 416
        assert shared.stats()["requests"]["download"] == 5

    def test_bad_or_expired_link(self, sb, demo):
        fileid = demo("getRecordsList", y=2024, m=4)["records"][0]["id"]
        link = demo("getRecordLink", fileid=fileid)["link"]
        assert requests.get(link[:-1] + ("0" if link[-1] != "0" else "1"), timeout=10).status_code == 403
        assert requests.get(link.replace(".mp3", "1.mp3"), timeout=10).status_code == 403
        assert requests.get(link.split("?")[0], timeout=10).status_code == 403
        sb.record_link_ttl = -1  # links are born expired
        assert requests.get(demo("getRecordLink", fileid=fileid)["link"], timeout=10).status_code == 403

    def test_record_link_errors(self, ro):
        for fileid in ("", "nope", "1714538400.1"):
            data = ro("getRecordLink", fileid=fileid)
            assert data["error"] == 1 and data["errormsg"] and "err" not in data and "link" not in data
        # a file of the demo account is not reachable from the second one
        fileid = ro("getRecordsList", y=2024, m=4)["records"][0]["id"]
        assert Client(ro.sb, *SECOND)("getRecordLink", fileid=fileid)["error"] == 1


# --- forwards, SIP lines, tariffs ----------------------------------------------------------------

def forwards(client, nid):
    return client("getForwards", numberid=nid)["forwards"]


class TestForwards:
    def test_create_each_type(self, demo):
        nid = demo("getRCIDs")["rcids"][1]["id"]
        before = forwards(demo, nid)
        created = []
        for rtype, rnum in (("1", "103"), ("2", "+79161234567"), ("3", "boss@example.com"), ("4", "fax@example.org")):
            answer = demo("editForward", id=0, rtype=rtype, nid=nid, timeout=15, rcid=1, rnum=rnum, rec=1)
            assert answer["err"] == 0 and answer["vivaid"] == "1" and isinstance(answer["id"], int)
            created.append(str(answer["id"]))
        after = forwards(demo, nid)
        assert [f["id"] for f in after] == [f["id"] for f in before] + created
        assert [f["direction"] for f in after] == [str(i) for i in range(1, len(after) + 1)]
        new = after[-3]
        assert (new["rtype"], new["rnum"], new["rtime"], new["rec"], new["rtname"]) == \
            ("2", "+79161234567", "15", "1", "Телефон")
        assert new["times"] == "Понедельник-Воскресенье 00:00-23:59"

    def test_edit_keeps_schedule_and_unsent_fields(self, demo):
        nid = demo("getRCIDs")["rcids"][0]["id"]
        forward = next(f for f in forwards(demo, nid) if f["times"] == "Понедельник-Пятница 09:00-18:00")
        answer = demo("editForward", id=forward["id"], timeout=30, rcid=3, rcnid=nid)
        assert str(answer["id"]) == forward["id"]
        edited = next(f for f in forwards(demo, nid) if f["id"] == forward["id"])
        assert (edited["rtime"], edited["rcid"], edited["rcnid"], edited["cname"]) == ("30", "3", nid, "свой")
        assert edited["dowjs2"] == forward["dowjs2"] and edited["rnum"] == forward["rnum"]

    @pytest.mark.parametrize("change,message", [
        ({"timeout": 4}, "Таймаут"), ({"timeout": 31}, "Таймаут"), ({"timeout": ""}, "Таймаут"),
        ({"rcid": 3}, "rcnid"), ({"rcid": 3, "rcnid": 999}, "АОН"), ({"rcid": 7}, "АОН"),
        ({"rtype": 9}, "тип"), ({"nid": 999}, "Номер"), ({"rnum": "109"}, "SIP"), ({"rnum": ""}, "rnum"),
        ({"rtype": 2, "rnum": "12345"}, "телефон"), ({"rtype": 2, "rnum": "+7916123456789012"}, "телефон"),
        ({"rtype": 2, "rnum": "8(916)1234567"}, "телефон"), ({"rtype": 3, "rnum": "101"}, "e-mail"),
        ({"rtype": 4, "rnum": "fax@"}, "e-mail"), ({"id": 424242}, "не найдена"),
    ])
    def test_validation(self, demo, change, message):
        nid = demo("getRCIDs")["rcids"][0]["id"]
        params = dict({"id": 0, "rtype": 1, "nid": nid, "timeout": 20, "rcid": 1, "rnum": "101"}, **change)
        count = len(forwards(demo, nid))
        answer = demo("editForward", **params)
        assert answer["err"] == 1 and message in answer["errmsg"]
        assert len(forwards(demo, nid)) == count

    @pytest.mark.parametrize("rnum", ["79161234567", "+4930123456789", "7812323232"])
    def test_phone_targets_accepted(self, demo, rnum):
        nid = demo("getRCIDs")["rcids"][0]["id"]
        assert demo("editForward", rtype=2, nid=nid, timeout=5, rcid=2, rnum=rnum)["err"] == 0

    def test_rcnid_must_be_an_rcid(self, sb, demo):
        other_number = Client(sb, *SECOND)("getRCIDs")["rcids"][0]["id"]
        nid = demo("getRCIDs")["rcids"][0]["id"]
        answer = demo("editForward", rtype=1, nid=nid, timeout=20, rcid=3, rcnid=other_number, rnum="101")
        assert answer["err"] == 1
        assert demo("editForward", rtype=1, nid=other_number, timeout=20, rcid=1, rnum="101")["err"] == 1

    def test_delete_flags_forward(self, sb, demo):
        nid = demo("getRCIDs")["rcids"][0]["id"]
        first = forwards(demo, nid)[0]
        assert demo("deleteForward", id=first["id"]) == {"vivaid": "1", "err": 0, "id": first["id"]}
        listed = forwards(demo, nid)
        assert next(f for f in listed if f["id"] == first["id"])["deleted"] == "1"
        assert demo("deleteForward", id=first["id"])["err"] == 1
        assert demo("editForward", id=first["id"], timeout=10)["err"] == 1
        assert demo("moveForward", id=first["id"], dir="down")["err"] == 1
        assert demo("getForwardTimes", id=first["id"])["forwardTimes"]
        assert [f["deleted"] for f in sb.state("demo@example.com")["forwards"] if str(f["id"]) == first["id"]] == [True]
        sb.deleted_forward_ttl = 0  # purged on the next listing
        assert first["id"] not in {f["id"] for f in forwards(demo, nid)}
        assert demo("deleteForward", id=123)["err"] == 1

    def test_move(self, demo):
        nid = demo("getRCIDs")["rcids"][0]["id"]
        order = [f["id"] for f in forwards(demo, nid)]
        assert len(order) >= 3
        assert demo("moveForward", id=order[1], dir="up") == {"vivaid": "1", "err": 0, "id": order[1]}
        assert [f["id"] for f in forwards(demo, nid)] == [order[1], order[0]] + order[2:]
        demo("moveForward", id=order[1], dir="down")
        demo("moveForward", id=order[0], dir="down")
        assert [f["id"] for f in forwards(demo, nid)] == [order[1], order[0]] + order[2:]
        demo("moveForward", id=order[-1], dir="down")  # the last one cannot go further: no-op
        demo("moveForward", id=order[1], dir="up")
        assert [f["id"] for f in forwards(demo, nid)] == [order[1], order[0]] + order[2:]
        assert demo("moveForward", id=order[0], dir="sideways")["err"] == 1


class TestSips:
    def test_create_edit_delete(self, sb, demo):
        answer = demo("editSIP", id=0, email="new.user@example.com", descr="Новый", paswd="Secret123")
        assert answer == {"vivaid": "1", "err": 0, "id": answer["id"], "num": "104"} and isinstance(answer["id"], int)
        line = next(s for s in demo("getSIPs")["spis"] if s["num"] == "104")
        assert (line["email"], line["descr"], line["def"], line["status"]) == \
            ("new.user@example.com", "Новый", "0", "offline")
        assert demo("getNextSIP")["num"] == 105
        # SIP forwards may now target 104
        nid = demo("getRCIDs")["rcids"][0]["id"]
        assert demo("editForward", rtype=1, nid=nid, timeout=20, rcid=1, rnum="104")["err"] == 0
        edited = demo("editSIP", id=answer["id"], descr="Переименован", rcid=nid)
        assert edited["num"] == "104" and edited["id"] == answer["id"]
        line = next(s for s in demo("getSIPs")["spis"] if s["num"] == "104")
        assert (line["descr"], line["email"], line["rcid"]) == ("Переименован", "new.user@example.com", nid)
        # deleting a line that a forward still targets is allowed
        assert demo("deleteSIP", id=answer["id"]) == {"vivaid": "1", "err": 0, "id": str(answer["id"])}
        assert demo("getNextSIP")["num"] == 104
        assert demo("deleteSIP", id=answer["id"])["err"] == 1

    @pytest.mark.parametrize("params,message", [
        ({"paswd": ""}, "пароль"), ({"paswd": "short1"}, "Пароль"), ({"paswd": "lettersonly"}, "Пароль"),
        ({"paswd": "1234567890"}, "Пароль"), ({"email": "not-an-email"}, "e-mail"), ({"rcid": 99}, "АОН"),
        ({"id": 77}, "не найдена"),
    ])
    def test_validation(self, demo, params, message):
        answer = demo("editSIP", **dict({"id": 0, "email": "x@example.com", "paswd": "Passw0rd!"}, **params))
        assert answer["err"] == 1 and message in answer["errmsg"]
        assert len(demo("getSIPs")["spis"]) == 3

    def test_deleting_default_line_moves_default(self, demo):
        default = demo("getSIPs")["id"]
        demo("deleteSIP", id=default)
        data = demo("getSIPs")
        assert data["id"] == data["spis"][0]["id"] != default and data["spis"][0]["def"] == "1"


class TestTariffs:
    def test_insufficient_balance(self, demo):
        gold = demo("getFreeNumbers", nr=2, nt=2, limit=1)["freeNumbers"][0]
        answer = demo("connectTariff", tarid=15, numid=gold["id"])  # 1000 + 3000 + 5000 > 1500
        assert answer["err"] == 1 and "Недостаточно средств" in answer["errmsg"] and "9000.00" in answer["errmsg"]
        assert demo("balance")["balance"] == "1500.00"
        assert gold in demo("getFreeNumbers", nr=2, nt=2, limit=1)["freeNumbers"]
        second = Client(demo.sb, *SECOND)
        assert "Недостаточно средств" in second("connectTariff", tarid=21)["errmsg"]  # 75.50 < 350

    def test_number_checks(self, demo):
        spb = demo("getFreeNumbers", nr=1, nt=0, limit=1)["freeNumbers"][0]
        msk = demo("getFreeNumbers", nr=2, nt=0, limit=1)["freeNumbers"][0]
        silver = demo("getFreeNumbers", nr=1, nt=1, limit=1)["freeNumbers"][0]
        assert "numid" in demo("connectTariff", tarid=11)["errmsg"]
        assert demo("connectTariff", tarid=11, numid=msk["id"])["err"] == 1  # wrong region
        assert demo("connectTariff", tarid=11, numid=silver["id"])["err"] == 1  # wrong type
        assert demo("connectTariff", tarid=11, numid=1001)["err"] == 1  # a connected-number id
        assert demo("connectTariff", tarid=99)["err"] == 1
        assert demo("connectTariff", tarid=16, numid=msk["id"])["err"] == 0  # numreg 0: any region
        assert demo("connectTariff", tarid=11, numid=spb["id"])["err"] == 0
        assert demo("balance")["balance"] == "850.00"  # 1500 - 350 - 300

    def test_connect_with_number(self, sb, demo):
        free = demo("getFreeNumbers", nr=1, nt=0, limit=1)
        number = free["freeNumbers"][0]
        answer = demo("connectTariff", tarid=11, numid=number["id"])
        assert answer["err"] == 0 and answer["vivaid"] == "1" and isinstance(answer["numid"], int)
        assert demo("balance")["balance"] == "1200.00"
        assert {" number ": number["number"], " numberform ": number["numberform"]} in \
            demo("getConnectedNumbers")["numbers"]
        assert {"id": str(answer["numid"]), "numberform": number["numberform"]} in demo("getRCIDs")["rcids"]
        assert demo("getForwards", numberid=answer["numid"])["forwards"] == []
        assert demo("editForward", rtype=1, nid=answer["numid"], timeout=20, rcid=1, rnum="101")["err"] == 0
        connected = demo("getConnectedTariffs")["connected"][-1]
        assert (connected["id"], connected["nid"], connected["numf"], connected["cost"]) == \
            ("11", str(answer["numid"]), number["numberform"], "300.00")
        after = demo("getFreeNumbers", nr=1, nt=0, limit=1)
        assert int(after["numbersCount"]) == int(free["numbersCount"]) - 1 and after["freeNumbers"][0] != number
        assert demo("connectTariff", tarid=11, numid=number["id"])["err"] == 1  # no longer free
        assert sb.state("demo@example.com")["balance"] == "1200.00"

    def test_connect_without_number(self, demo):
        answer = demo("connectTariff", tarid=21)
        assert answer == {"vivaid": "1", "err": 0, "numid": None}
        assert demo("balance")["balance"] == "1150.00"
        assert [t["id"] for t in demo("getConnectedTariffs")["connected"]].count("21") == 2


# --- faults ------------------------------------------------------------------------------------

class TestFaults:
    def test_error500_and_502(self, sb, demo):
        sb.inject("error500", "balance")
        sb.inject("error502")
        first = demo.get("balance")
        assert first.status_code == 500 and first.headers["Content-Type"].startswith("text/html")
        assert "<html>" in first.text
        assert demo.get("getSIPs").status_code == 502
        assert demo.get("balance").status_code == 200

    def test_malformed(self, sb, demo):
        sb.inject("malformed", "getSIPs")
        response = demo.get("getSIPs")
        assert response.status_code == 200
        with pytest.raises(ValueError):
            json.loads(response.text)
        assert demo("getSIPs")["spis"]

    def test_drop_is_a_connection_error(self, sb, demo):
        sb.inject("drop", "getSIPs", count=2)
        started = time.monotonic()
        for _ in range(2):
            with pytest.raises(requests.ConnectionError):
                demo.get("getSIPs", http_timeout=5)
        assert time.monotonic() - started < 2
        assert demo("getSIPs")["spis"]

    def test_timeout_strikes_after_processing(self, sb, demo):
        nid = demo("getRCIDs")["rcids"][0]["id"]
        count = len(forwards(demo, nid))
        sb.timeout_sleep = 1.0
        sb.inject("timeout", "editForward")
        with pytest.raises(requests.Timeout):
            demo.get("editForward", http_timeout=0.3, rtype=2, nid=nid, timeout=20, rcid=1, rnum="79161112233")
        # the forward exists although the client gave up (a retry would create a second one)
        assert len(forwards(demo, nid)) == count + 1
        sb.set_faults(timeout_sleep=0.8)
        sb.inject("timeout", "connectTariff")
        with pytest.raises(requests.Timeout):
            demo.get("connectTariff", http_timeout=0.3, tarid=21)
        assert demo("balance")["balance"] == "1150.00"

    def test_session_fault_answers_once(self, sb, demo):
        sb.inject("session", "balance")
        response = demo.get("balance")
        assert response.status_code == 401 and response.json()["errmsg"] == "SESSION ENDED"
        assert demo.get("balance").status_code == 200

    def test_default_target_excludes_login(self, sb):
        sb.inject("error500")
        assert raw(sb, cmd="login", email=DEMO[0], paswd=DEMO[1]).status_code == 200
        sb.inject("error500", "login")
        assert raw(sb, cmd="login", email=DEMO[0], paswd=DEMO[1]).status_code == 500
        sb.clear_faults()
        client = Client(sb)
        assert client.get("balance").status_code == 200

    def test_random_faults_are_seeded(self, sb, demo):
        def run():
            sb.set_faults(error_rate=0.3, malformed_rate=0.2, drop_rate=0.1, methods=["getSIPs"], seed=42)
            outcome = []
            for _ in range(30):
                try:
                    response = demo.get("getSIPs", http_timeout=5)
                    try:
                        outcome.append(response.status_code if json.loads(response.text) else None)
                    except ValueError:
                        outcome.append("malformed" if response.status_code == 200 else response.status_code)
                except requests.ConnectionError:
                    outcome.append("drop")
            return outcome

        first = run()
        assert first == run()
        assert {200, "malformed", "drop"} <= set(first) and set(first) & {500, 502}
        assert all(demo.get("balance").status_code == 200 for _ in range(10))  # other methods untouched
        sb.set_faults(error_rate=1.0)  # no methods: everything but login
        assert demo.get("balance").status_code in (500, 502)
        assert raw(sb, cmd="login", email=DEMO[0], paswd=DEMO[1]).status_code == 200
        sb.clear_faults()
        assert demo.get("balance").status_code == 200

    def test_latency(self, sb, demo):
        sb.set_faults(latency=0.3, methods=["balance"])
        started = time.monotonic()
        demo("balance")
        assert time.monotonic() - started >= 0.3
        started = time.monotonic()
        demo("getNextSIP")
        assert time.monotonic() - started < 0.3

    def test_faults_over_http(self, sb, demo):
        control(sb, "inject", {"kind": "error502", "method": "balance", "count": 2})
        assert [demo.get("balance").status_code for _ in range(3)] == [502, 502, 200]
        control(sb, "faults", {"error_rate": 1.0, "methods": ["getSIPs"]})
        assert demo.get("getSIPs").status_code in (500, 502)
        control(sb, "clear_faults")
        assert demo.get("getSIPs").status_code == 200
        assert requests.post(f"{sb.base_url}_sandbox/faults", json={"error_rate": 2}, timeout=5).status_code == 400

    def test_download_faults(self, sb, demo):
        fileid = demo("getRecordsList", y=2024, m=4)["records"][0]["id"]
        link = demo("getRecordLink", fileid=fileid)["link"]
        sb.set_faults(error_rate=1.0)  # downloads are only hit when named
        assert requests.get(link, timeout=5).status_code == 200
        sb.clear_faults()
        sb.inject("drop", "download")
        with pytest.raises(requests.ConnectionError):
            requests.get(link, timeout=5)
        sb.inject("malformed", "download")  # the transfer breaks halfway
        try:
            broken = requests.get(link, timeout=5)
            assert len(broken.content) < int(broken.headers["Content-Length"])  # urllib3 1.x: short body
        except requests.RequestException:
            pass  # urllib3 2.x: IncompleteRead
        assert sb.stats()["requests"]["download"] == 3

    def test_bad_fault_arguments(self, sb):
        with pytest.raises(ValueError):
            sb.inject("meteor")
        with pytest.raises(ValueError):
            sb.set_faults(error_rate=0.7, drop_rate=0.7)


# --- server lifecycle, CLI, packaging -------------------------------------------------------------

class TestServer:
    def test_start_stop(self):
        sb = TeleumSandbox(today=TODAY)
        with pytest.raises(RuntimeError):
            _ = sb.url
        sb.start()
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/v3/", sb.url)
        port = sb.port
        assert Client(sb)("balance")["vivaid"] == "1"
        with TeleumSandbox(today=TODAY) as other:
            assert other.port != port
        started = time.monotonic()
        sb.stop()
        assert time.monotonic() - started < 1.5
        with pytest.raises(requests.ConnectionError):
            requests.get(sb.url, timeout=2)
        sb.stop()  # idempotent

    def test_stop_does_not_wait_for_sleeping_requests(self):
        sb = TeleumSandbox(today=TODAY).start()
        client = Client(sb)
        sb.timeout_sleep = 60
        sb.inject("timeout", "balance")
        worker = threading.Thread(target=lambda: client.get("balance", http_timeout=30))
        worker.start()
        time.sleep(0.2)
        started = time.monotonic()
        sb.stop()
        worker.join(5)
        assert time.monotonic() - started < 2 and not worker.is_alive()

    def test_accounts_argument(self):
        with TeleumSandbox(today=TODAY, accounts={"a@example.com": "pw-1", "b@example.com": "pw-2"}) as sb:
            a, b = Client(sb, "a@example.com", "pw-1"), Client(sb, "b@example.com", "pw-2")
            assert (a.vivaid, b.vivaid) == (1, 2)
            assert a("balance")["contract"] == "00000001"
            assert len(a("getConnectedNumbers")["numbers"]) == 3 and len(b("getConnectedNumbers")["numbers"]) == 2

    @pytest.mark.parametrize("verbose", [False, True])
    def test_cli(self, verbose):
        command = [sys.executable, "-m", "sandbox", "--port", "0", "--months", "1", "--calls-per-month", "10",
                   "--today", TODAY] + (["--verbose"] if verbose else [])
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            url = process.stdout.readline().split()[-1]
            credentials = process.stdout.readline()
            assert "demo@example.com / 989864" in credentials
            login = requests.get(url, params={"cmd": "login", "email": DEMO[0], "paswd": DEMO[1]}, timeout=10).json()
            token = login["token"]
            requests.get(url, params={"cmd": "balance", "token": token, "vivaid": 1}, timeout=10)
            process.send_signal(signal.SIGINT)
            assert process.wait(10) == 0
            errors = process.stderr.read()
        finally:
            process.kill()
        assert token not in errors and "989864" not in errors
        if verbose:
            assert "cmd=login" in errors and "paswd=***" in errors and "token=***" in errors
        else:
            assert "GET " not in errors

    def test_package_is_pure(self):
        """stdlib + werkzeug only, no odoo, relative imports inside the package."""
        allowed = set(sys.stdlib_module_names) | {"werkzeug"}
        for path in (REPO / "sandbox").glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module]
                else:
                    continue
                assert all(name.split(".")[0] in allowed for name in names), (path.name, names)


# --- paging modes (sandbox/paging.py) ----------------------------------------------------------

class TestPagingModes:
    def test_default_pages_as_asked(self, demo):
        every = calls(demo)["calls"]
        assert len(every) == 200
        page = calls(demo, start=10, limit=5)
        assert page["counts"] == 200 and page["calls"] == every[10:15]

    def test_cap_counts_order_and_ignored_start(self, sb, demo):
        every = calls(demo)["calls"]
        assert every == sb.call_rows("demo@example.com", 2024, 4)  # the Python view of the truth
        sb.set_paging(cap=7)
        page = calls(demo, start=10, limit=50)
        assert page["calls"] == every[10:17] and page["counts"] == 200
        sb.set_paging(cap=7, counts="page")
        assert calls(demo, start=195, limit=50)["counts"] == 5
        sb.set_paging(counts="none")
        assert "counts" not in calls(demo, start=0, limit=3)
        sb.set_paging(order="desc")
        assert calls(demo, start=0, limit=3)["calls"] == every[::-1][:3]
        sb.set_paging(ignore_start=True)
        assert calls(demo, start=50, limit=5)["calls"] == every
        sb.set_paging()
        assert calls(demo, start=50, limit=5)["calls"] == every[50:55]

    def test_late_rows_change_the_month_while_it_is_paged(self, sb, demo):
        before = sb.call_rows("demo@example.com", 2024, 4)
        sb.set_paging(late_rows=3)
        answer = calls(demo, start=20, limit=10)["calls"]
        after_one = sb.call_rows("demo@example.com", 2024, 4)
        assert len(after_one) == 201
        copied = answer[5]
        assert after_one.count(copied) == before.count(copied) + 1, "an identical pair"
        calls(demo, start=30, limit=10)
        newest = sb.call_rows("demo@example.com", 2024, 4)[-1]
        assert newest["src"].startswith("79991") and newest["calldate"] == before[-1]["calldate"]
        calls(demo, start=40, limit=10)
        oldest = sb.call_rows("demo@example.com", 2024, 4)[0]
        assert oldest["src"].startswith("79992") and oldest["calldate"] < before[0]["calldate"]
        calls(demo, start=50, limit=10)
        assert len(sb.call_rows("demo@example.com", 2024, 4)) == 203, "three late rows, then no more"

    def test_free_numbers_modes(self, sb, demo):
        every = demo("getFreeNumbers", nr=1, nt=0)["freeNumbers"]
        assert len(every) > 10
        sb.set_paging(cap=4, counts="none")
        page = demo("getFreeNumbers", nr=1, nt=0, start=2, limit=20)
        assert page["freeNumbers"] == every[2:6] and "numbersCount" not in page
        sb.set_paging(ignore_start=True, counts="page")
        page = demo("getFreeNumbers", nr=1, nt=0, start=2, limit=3)
        assert page["freeNumbers"] == every and page["numbersCount"] == str(len(every))

    def test_control_endpoints(self, sb, demo):
        assert control(sb, "paging", method="get")["cap"] == 0
        control(sb, "set_paging", {"cap": 7, "counts": "none", "order": "desc"})
        assert {k: v for k, v in control(sb, "paging", method="get").items() if k != "ok"} == {
            "cap": 7, "counts": "none", "order": "desc", "ignore_start": False, "late_rows": 0}
        page = calls(demo, start=0, limit=100)
        assert len(page["calls"]) == 7 and "counts" not in page
        truth = requests.get(f"{sb.base_url}_sandbox/call_rows",
                             params={"email": DEMO[0], "y": 2024, "m": 4}, timeout=10).json()["calls"]
        assert truth[::-1][:7] == page["calls"]
        for bad in ({"counts": "some"}, {"order": "sideways"}, {"cap": -1}, {"colour": "red"}):
            assert requests.post(f"{sb.base_url}_sandbox/set_paging", json=bad, timeout=5).status_code == 400

    def test_cli_paging_options(self):
        command = [sys.executable, "-m", "sandbox", "--port", "0", "--months", "1", "--calls-per-month", "30",
                   "--today", TODAY, "--cap", "7", "--counts", "none", "--order", "desc"]
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            url = process.stdout.readline().split()[-1]
            login = requests.get(url, params={"cmd": "login", "email": DEMO[0], "paswd": DEMO[1]}, timeout=10).json()
            page = requests.get(url, params={"cmd": "reportCalls", "token": login["token"], "vivaid": 1, "y": 2024,
                                             "m": 5, "start": 0, "limit": 100}, timeout=10).json()
            process.send_signal(signal.SIGINT)
            assert process.wait(10) == 0
        finally:
            process.kill()
        assert len(page["calls"]) == 7 and "counts" not in page
        assert page["calls"][0]["calldate"] > page["calls"][-1]["calldate"], "newest first"


class TestAccountLatency:
    def test_one_account_is_slow_over_http(self, sb):
        second = Client(sb, "second@example.com", "second-pass-2")
        demo = Client(sb)
        control(sb, "account_latency", {"email": "second@example.com", "seconds": 0.3})
        started = time.monotonic()
        second("balance")
        assert time.monotonic() - started >= 0.3
        started = time.monotonic()
        Client(sb, "second@example.com", "second-pass-2")  # its login waits too
        assert time.monotonic() - started >= 0.3
        started = time.monotonic()
        demo("balance")
        assert time.monotonic() - started < 0.3
        control(sb, "account_latency", {"email": "second@example.com", "seconds": 0})
        started = time.monotonic()
        second("balance")
        assert time.monotonic() - started < 0.3

    def test_unknown_account_is_refused(self, sb):
        response = requests.post(f"{sb.base_url}_sandbox/account_latency",
                                 json={"email": "nobody@example.com", "seconds": 1}, timeout=10)
        assert response.status_code == 400 and "unknown account" in response.json()["error"]

    def test_numbered_accounts(self):
        from sandbox.data import numbered_accounts

        sb = TeleumSandbox(accounts=numbered_accounts(4), months=1, calls_per_month=5).start()
        try:
            assert Client(sb, "account4@example.com", "account-pass-4")("balance")["contract"] == "00000004"
        finally:
            sb.stop()
