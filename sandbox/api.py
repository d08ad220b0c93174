"""The 24 Teleum API v3 methods over the sandbox state, and the sessions.

Transport-free: ``Api.handle(cmd, args, base_url)`` returns the JSON payload (a dict) or raises
``SessionEnded``; the HTTP layer (server.py) decides how a session error looks on the wire.
Business errors are payloads ``{"err": 1, "errmsg": ...}`` (Russian messages like the service),
except getRecordLink's own errors, which use ``error``/``errormsg`` as the page says.
"""

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from datetime import datetime

from .calls import BILLSEC, DISP, DST, EXTERNAL_POOL, RDR, REC, SRC, TS, CallStore, format_call, record_id
from .data import (
    ALWAYS,
    FORWARD_TYPES,
    FT_FAX,
    FT_PHONE,
    FT_SIP,
    FT_VOICEMAIL,
    MSK,
    NUMBER_TYPES,
    RCID_OWN,
    RCID_TYPES,
    REGIONS,
    TARIFF_GROUPS,
    TARIFFS,
    WEEKDAYS,
    Ids,
    build_accounts,
    build_free_numbers,
    external_numbers,
    format_number,
    format_serie,
    money,
)
from .paging import Paging

SESSION_ENDED = "SESSION ENDED"
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
PHONE_RE = re.compile(r"^\+?\d{10,15}$")


class ApiError(Exception):
    """A business/validation error, answered as ``{"err": 1, "errmsg": str(exc)}`` with HTTP 200."""


class SessionEnded(Exception):
    """Unknown, expired or mismatching token/vivaid."""


class Params:
    """Query parameters with the lenient parsing of a PHP service (blank == absent)."""

    def __init__(self, args, base_url=""):
        self.args, self.base_url = args, base_url

    def text(self, name, default=None):
        value = self.args.get(name)
        return default if value is None or not value.strip() else value.strip()

    def integer(self, name, default=None):
        value = self.text(name)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError:
            raise ApiError(f"Неверное значение параметра {name}") from None

    def flag(self, name, default=False):
        value = self.text(name)
        return default if value is None else value.lower() in ("1", "true", "on", "yes")


def _b(value):
    return "1" if value else "0"


def _now_text():
    return datetime.now(MSK).strftime("%Y-%m-%d %H:%M:%S")


def _times(windows):
    parts = []
    for w in windows:
        days = WEEKDAYS[w["dts"] - 1] if w["dts"] == w["dtf"] else f"{WEEKDAYS[w['dts'] - 1]}-{WEEKDAYS[w['dtf'] - 1]}"
        parts.append(f"{days} {w['sh']:02d}:{w['sm']:02d}-{w['fh']:02d}:{w['fm']:02d}")
    return "; ".join(parts)


class Api:
    # cmd -> (handler, needs the state lock). Call-history handlers only read the immutable
    # call profile, so a slow month generation never blocks the other methods.
    COMMANDS = {
        "balance": ("balance", True), "reportCalls": ("report_calls", False),
        "getRecordsList": ("get_records_list", False), "getRecordLink": ("get_record_link", False),
        "getConnectedNumbers": ("get_connected_numbers", True), "getRCIDs": ("get_rcids", True),
        "getForwardsTypes": ("get_forwards_types", True), "getForwards": ("get_forwards", True),
        "getForwardTimes": ("get_forward_times", True), "editForward": ("edit_forward", True),
        "deleteForward": ("delete_forward", True), "moveForward": ("move_forward", True),
        "getForwardsRCIDs": ("get_forwards_rcids", True), "getSIPs": ("get_sips", True),
        "getNextSIP": ("get_next_sip", True), "editSIP": ("edit_sip", True), "deleteSIP": ("delete_sip", True),
        "getTariffGroups": ("get_tariff_groups", True), "getTariffs": ("get_tariffs", True),
        "getConnectedTariffs": ("get_connected_tariffs", True), "connectTariff": ("connect_tariff", True),
        "getNumbersTypes": ("get_numbers_types", True), "getFreeNumbers": ("get_free_numbers", True),
    }

    def __init__(self, seed, specs, months, calls_per_month, today, session_ttl, record_link_ttl):
        self.ids = Ids()
        self.accounts = {a.email: a for a in build_accounts(seed, specs, self.ids, today)}
        taken = {n["number"] for a in self.accounts.values() for n in a.numbers.values()}
        self.free = build_free_numbers(seed, taken, self.ids)  # shared by all accounts
        self.calls = CallStore(seed, months, calls_per_month, today, external_numbers(seed, EXTERNAL_POOL))
        self.paging = Paging()  # how the listings page (see paging.py)
        self.session_ttl = session_ttl
        self.record_link_ttl = record_link_ttl
        self.deleted_forward_ttl = 600.0
        self._sessions = {}  # token -> [account, last activity (monotonic)]
        self._secret = secrets.token_bytes(32)
        self._lock = threading.RLock()

    # --- dispatch and sessions ---------------------------------------------------------

    def handle(self, cmd, args, base_url=""):
        p = Params(args, base_url)
        if cmd == "getTariffGroups" and p.text("tg") is not None:
            cmd = "getTariffs"  # the page's getTariffs example says cmd=getTariffGroups&tg=N
        try:
            if cmd == "login":
                with self._lock:
                    return self.login(p)
            if cmd not in self.COMMANDS:
                return {"err": 1, "errmsg": "Неизвестная команда"}
            name, locked = self.COMMANDS[cmd]
            with self._lock:
                account = self._session(p)
                if locked:
                    return getattr(self, name)(account, p)
            return getattr(self, name)(account, p)
        except ApiError as exc:
            return {"err": 1, "errmsg": str(exc)}

    def _session(self, p):
        token = p.args.get("token") or ""
        session = self._sessions.get(token)
        if session is None:
            raise SessionEnded
        now = time.monotonic()
        if now - session[1] > self.session_ttl:
            del self._sessions[token]
            raise SessionEnded
        if p.text("vivaid") != str(session[0].vivaid):
            raise SessionEnded
        session[1] = now
        return session[0]

    def email_of(self, token):
        """The account a token belongs to (None if unknown), without counting as its activity."""
        with self._lock:
            session = self._sessions.get(token or "")
            return session[0].email if session else None

    def login(self, p):
        account = self.accounts.get((p.text("email") or "").lower())
        password = p.args.get("paswd") or ""
        if account is None or not hmac.compare_digest(password.encode(), account.password.encode()):
            raise ApiError("Неверный email или пароль")
        now = time.monotonic()
        for token in [t for t, s in self._sessions.items() if now - s[1] > self.session_ttl]:
            del self._sessions[token]
        token = secrets.token_hex(16)
        self._sessions[token] = [account, now]
        return {"account": account.contract, "token": token, "vivaid": account.vivaid}

    def expire_sessions(self, email=None):
        with self._lock:
            for token in [t for t, s in self._sessions.items() if email in (None, s[0].email)]:
                del self._sessions[token]

    # --- account and calls -------------------------------------------------------------

    def balance(self, acc, p):
        return {"contract": acc.contract, "balance": money(acc.balance), "vivaid": str(acc.vivaid)}

    @staticmethod
    def _period(p):
        y, m = p.integer("y"), p.integer("m")
        if y is None or m is None or not 1 <= m <= 12 or not 1970 <= y <= 2100:
            raise ApiError("Неверный период: укажите y (год) и m (месяц)")
        return y, m

    @staticmethod
    def _paging(p):
        start, limit = p.integer("start", 0), p.integer("limit", 0)
        if start < 0 or limit < 0:
            raise ApiError("Неверные параметры постраничного вывода")
        return start, limit

    def report_calls(self, acc, p):
        y, m = self._period(p)
        rows = self.calls.rows(acc, y, m, (p.text("type") or "").upper())
        start, limit = self._paging(p)
        page = self.paging.window(rows, start, limit)  # no (or 0) limit: everything
        out = {"vivaid": str(acc.vivaid)}
        count = self.paging.count_value(len(rows), len(page))
        if count is not None:
            out["counts"] = count
        out["calls"] = [format_call(r) for r in page]
        self._late_row(acc, y, m, page)
        return out

    def _late_row(self, acc, y, m, page):
        """Paging mode ``late_rows``: a row arrives late in the month just answered."""
        kind = self.paging.take_late_row()
        month = self.calls.rows(acc, y, m)
        if kind is None or not month:
            return
        if kind == 0:  # a second, identical occurrence of a row of this answer
            row = (page or month)[len(page or month) // 2]
            ts, src, dst = row[TS], row[SRC], row[DST]
            billsec, disp, rdr = row[BILLSEC], row[DISP], row[RDR]
        else:  # the newest row of the month (same second as the newest), or the oldest
            ts = month[-1][TS] if kind == 1 else month[0][TS] - month[0][TS] % 86400
            src, dst = f"7999{kind}{len(month):06d}", month[0][DST]
            billsec, disp, rdr = 7, "ANSWERED", ""
        self.calls.add(acc, src=src, dst=dst, calldate=datetime(*time.gmtime(ts)[:6]), billsec=billsec,
                       disposition=disp, rdr=rdr)

    def get_records_list(self, acc, p):
        y, m = self._period(p)
        rows = self.calls.rows(acc, y, m)
        return {"vivaid": acc.vivaid, "records": [format_call(r, with_id=True) for r in rows if r[REC]]}

    def get_record_link(self, acc, p):
        fileid = p.text("fileid") or ""
        if self.calls.find_record(acc, fileid) is None:
            return {"vivaid": str(acc.vivaid), "error": 1, "errormsg": "Файл записи не найден"}
        exp = int(time.time()) + int(self.record_link_ttl)
        link = f"{p.base_url}records/{fileid}.mp3?exp={exp}&sig={self.sign(fileid, exp)}"
        return {"vivaid": str(acc.vivaid), "link": link, "error": 0}

    def sign(self, fileid, exp):
        return hmac.new(self._secret, f"{fileid}:{exp}".encode(), hashlib.sha256).hexdigest()[:32]

    def check_link(self, fileid, exp, sig):
        """True when the signature matches and the link has not expired."""
        try:
            exp = int(exp)
        except (TypeError, ValueError):
            return False
        good = hmac.compare_digest(self.sign(fileid, exp).encode(), (sig or "").encode("utf-8", "replace"))
        return good and time.time() <= exp

    def get_connected_numbers(self, acc, p):
        # the page's keys really are " number " and " numberform ", spaces included; no id here
        # (ids come from getRCIDs / getConnectedTariffs)
        numbers = [{" number ": n["number"], " numberform ": format_number(n["number"])} for n in acc.numbers.values()]
        return {"numbers": numbers, "vivaid": str(acc.vivaid)}

    def get_rcids(self, acc, p):
        rcids = [{"id": str(n["id"]), "numberform": format_number(n["number"])} for n in acc.numbers.values()]
        return {"vivaid": acc.vivaid, "rcids": rcids}

    # --- forwards ----------------------------------------------------------------------

    def get_forwards_types(self, acc, p):
        return {"vivaid": acc.vivaid, "forwardTypes": [{"id": k, "name": v} for k, v in FORWARD_TYPES.items()]}

    def get_forwards_rcids(self, acc, p):
        return {"vivaid": acc.vivaid, "number": p.text("numberid", "0"),
                "forwardRCIDs": [{"id": str(k), "name": v} for k, v in RCID_TYPES.items()]}

    def _purge_deleted(self, acc):
        limit = time.monotonic() - self.deleted_forward_ttl
        for fid in [f["id"] for f in acc.forwards.values() if f["deleted_at"] is not None and f["deleted_at"] < limit]:
            del acc.forwards[fid]

    def _forward(self, acc, fid, deleted_ok=False):
        forward = acc.forwards.get(fid)
        if forward is None or (forward["deleted_at"] is not None and not deleted_ok):
            raise ApiError("Переадресация не найдена")
        return forward

    @staticmethod
    def _forward_row(f):
        schedule = [{"ttsh": str(w["sh"]), "ttsm": str(w["sm"]), "ttfh": str(w["fh"]), "ttfm": str(w["fm"]),
                     "dts": str(w["dts"]), "dtf": str(w["dtf"])} for w in f["windows"]]
        return {
            "id": str(f["id"]), "rtype": str(f["rtype"]), "rnum": f["rnum"], "rtime": str(f["rtime"]),
            "rcid": str(f["rcid"]), "direction": str(f["direction"]), "rec": _b(f["rec"]),
            "deleted": _b(f["deleted_at"] is not None), "vpbx": _b(f["vpbx"]),
            "dowjs2": json.dumps(schedule, separators=(",", ":")),
            "rcnid": str(f["rcnid"]) if f["rcnid"] else None, "moh": _b(f["moh"]),
            "rtname": FORWARD_TYPES[f["rtype"]], "cname": RCID_TYPES[f["rcid"]], "times": _times(f["windows"]),
        }

    @staticmethod
    def _live(acc, nid):
        return sorted((f for f in acc.forwards.values() if f["nid"] == nid and f["deleted_at"] is None),
                      key=lambda f: (f["direction"], f["id"]))

    def get_forwards(self, acc, p):
        nid = p.integer("numberid")
        if nid not in acc.numbers:
            raise ApiError("Номер не найден")
        self._purge_deleted(acc)
        forwards = sorted((f for f in acc.forwards.values() if f["nid"] == nid),
                          key=lambda f: (f["direction"], f["id"]))
        return {"vivaid": str(acc.vivaid), "number": nid, "forwards": [self._forward_row(f) for f in forwards]}

    def get_forward_times(self, acc, p):
        forward = self._forward(acc, p.integer("id"), deleted_ok=True)
        times = [{"id": w["id"], "startTime": f"{w['sh']:02d}:{w['sm']:02d}:00",
                  "finishTime": f"{w['fh']:02d}:{w['fm']:02d}:00",
                  "startDayOfWeek": str(w["dts"]), "finishDayOfWeek": str(w["dtf"]),
                  "startDayOfWeekWord": WEEKDAYS[w["dts"] - 1], "finishDayOfWeekWord": WEEKDAYS[w["dtf"] - 1]}
                 for w in forward["windows"]]
        return {"vivaid": acc.vivaid, "id": p.text("id"), "forwardTimes": times}

    def edit_forward(self, acc, p):
        fid = p.integer("id", 0)
        old = self._forward(acc, fid) if fid else None
        # on edit, a parameter left out keeps its current value
        keep = (lambda key: old[key]) if old else (lambda key: None)
        rtype = p.integer("rtype", keep("rtype"))
        if rtype not in FORWARD_TYPES:
            raise ApiError("Неверный тип переадресации")
        nid = p.integer("nid", keep("nid"))
        if nid not in acc.numbers:
            raise ApiError("Номер не найден")
        timeout = p.integer("timeout", keep("rtime"))
        if timeout is None or not 5 <= timeout <= 30:
            raise ApiError("Таймаут переадресации должен быть от 5 до 30 секунд")
        rcid = p.integer("rcid", keep("rcid") or 1)
        if rcid not in RCID_TYPES:
            raise ApiError("Неверный тип АОН")
        rcnid = None
        if rcid == RCID_OWN:
            rcnid = p.integer("rcnid", keep("rcnid"))
            if rcnid is None:
                raise ApiError("Не указан номер для АОН (rcnid)")
            if rcnid not in acc.numbers:
                raise ApiError("Номер для АОН не найден")
        rnum = p.text("rnum", keep("rnum") if old and old["rtype"] == rtype else None)
        if rnum is None:
            raise ApiError("Не указано, куда переадресовывать (rnum)")
        if rtype == FT_SIP:
            if not rnum.isdigit() or int(rnum) not in {s["num"] for s in acc.sips.values()}:
                raise ApiError("SIP-линия не найдена")
        elif rtype == FT_PHONE:
            if not PHONE_RE.match(rnum):
                raise ApiError("Неверный номер телефона")
        elif rtype in (FT_VOICEMAIL, FT_FAX) and not EMAIL_RE.match(rnum):
            raise ApiError("Неверный e-mail")
        flags = {k: p.flag(k, bool(old and old[k])) for k in ("rec", "vpbx", "moh", "isolated")}
        if old is None or old["nid"] != nid:  # new forwards (and moved ones) go last
            direction = max((f["direction"] for f in self._live(acc, nid)), default=0) + 1
        else:
            direction = old["direction"]
        forward = old or {"id": self.ids("forward"), "deleted_at": None,
                          "windows": [dict(zip(("sh", "sm", "fh", "fm", "dts", "dtf"), w), id=self.ids("window"))
                                      for w in ALWAYS]}  # editForward has no schedule parameters
        forward.update(nid=nid, rtype=rtype, rnum=rnum, rtime=timeout, rcid=rcid, rcnid=rcnid,
                       direction=direction, **flags)
        acc.forwards[forward["id"]] = forward
        return {"vivaid": str(acc.vivaid), "err": 0, "id": forward["id"]}

    def delete_forward(self, acc, p):
        forward = self._forward(acc, p.integer("id"))
        forward["deleted_at"] = time.monotonic()
        return {"vivaid": str(acc.vivaid), "err": 0, "id": p.text("id")}

    def move_forward(self, acc, p):
        forward = self._forward(acc, p.integer("id"))
        step = {"up": -1, "down": 1}.get((p.text("dir") or "").lower())
        if step is None:
            raise ApiError("Неверное направление (up | down)")
        siblings = self._live(acc, forward["nid"])
        i = siblings.index(forward) + step
        if 0 <= i < len(siblings):  # moving the first one up (last one down) is a no-op
            other = siblings[i]  # directions are unique per number, so a swap is enough
            forward["direction"], other["direction"] = other["direction"], forward["direction"]
        return {"vivaid": str(acc.vivaid), "err": 0, "id": p.text("id")}

    # --- SIP lines ---------------------------------------------------------------------

    @staticmethod
    def _sip_row(s):
        return {"id": str(s["id"]), "num": str(s["num"]), "email": s["email"], "def": _b(s["def"]),
                "rcid": str(s["rcid"] or 0), "descr": s["descr"], "uagent": s["uagent"],
                "status": "online" if s["uagent"] else "offline"}

    def get_sips(self, acc, p):
        sips = sorted(acc.sips.values(), key=lambda s: s["num"])
        default = next((s["id"] for s in sips if s["def"]), 0)
        return {"vivaid": str(acc.vivaid), "id": str(default), "spis": [self._sip_row(s) for s in sips]}

    @staticmethod
    def _next_sip(acc):
        used, num = {s["num"] for s in acc.sips.values()}, 101
        while num in used:
            num += 1
        return num

    def get_next_sip(self, acc, p):
        return {"vivaid": acc.vivaid, "num": self._next_sip(acc)}

    def edit_sip(self, acc, p):
        sid = p.integer("id", 0)
        old = acc.sips.get(sid) if sid else None
        if sid and old is None:
            raise ApiError("SIP-линия не найдена")
        email = p.text("email")
        if email is not None and not EMAIL_RE.match(email):
            raise ApiError("Неверный e-mail")
        password = p.args.get("paswd") or ""
        if old is None and not password:
            raise ApiError("Не указан пароль SIP-линии")
        if password and (len(password) < 8 or not any(c.isalpha() for c in password)
                         or not any(c.isdigit() for c in password)):
            raise ApiError("Пароль должен быть не короче 8 символов и содержать буквы и цифры")
        rcid = p.integer("rcid", old["rcid"] if old else 0) or 0
        if rcid and rcid not in acc.numbers:
            raise ApiError("Номер для АОН не найден")
        sip = old or {"id": self.ids("sip"), "num": self._next_sip(acc), "def": not acc.sips, "uagent": "",
                      "email": "", "descr": ""}
        sip.update(rcid=rcid, password=password or sip.get("password"))
        if email is not None:
            sip["email"] = email
        if p.args.get("descr") is not None:
            sip["descr"] = p.args["descr"].strip()
        acc.sips[sip["id"]] = sip
        return {"vivaid": str(acc.vivaid), "err": 0, "id": sip["id"], "num": str(sip["num"])}

    def delete_sip(self, acc, p):
        # a forward may still point at the line: the service is believed to allow it, so do we
        sip = acc.sips.pop(p.integer("id"), None)
        if sip is None:
            raise ApiError("SIP-линия не найдена")
        if sip["def"] and acc.sips:
            min(acc.sips.values(), key=lambda s: s["num"])["def"] = True
        return {"vivaid": str(acc.vivaid), "err": 0, "id": p.text("id")}

    # --- tariffs and numbers -----------------------------------------------------------

    def get_tariff_groups(self, acc, p):
        return {"vivaid": acc.vivaid, "tariffGroups": [{"id": str(k), "name": v} for k, v in TARIFF_GROUPS.items()]}

    @staticmethod
    def _tariff_row(t):
        return {
            "id": str(t.id), "name": t.name,
            "name_lng": dict(t.name_lng) or [],  # PHP: an empty array is [], a filled one {"en": ...}
            "numreq": _b(t.numreq), "numreg": str(t.numreg), "numreg_name": REGIONS[t.numreg][0] if t.numreg else "",
            "numtype": str(t.numtype), "numtype_name": NUMBER_TYPES[t.numtype] if t.numreq else "",
            "textf": t.textf, "connectPrice": money(t.connect_price), "aboPrice": money(t.abo_price),
        }

    def get_tariffs(self, acc, p):
        group = p.integer("tg")
        return {"vivaid": str(acc.vivaid),
                "tariffs": [self._tariff_row(t) for t in TARIFFS.values() if t.group == group]}

    def get_connected_tariffs(self, acc, p):
        rows = []
        for link in acc.tariffs:
            tariff, number = TARIFFS[link["tariff"]], acc.numbers.get(link["nid"])
            rows.append({"id": str(tariff.id), "cost": money(tariff.abo_price), "pcost": tariff.pcost,
                         "nid": str(number["id"]) if number else None,
                         "numf": format_number(number["number"]) if number else "",
                         "link_date": link["link_date"], "name": tariff.name})
        return {"vivaid": str(acc.vivaid), "connected": rows}

    def connect_tariff(self, acc, p):
        tariff = TARIFFS.get(p.integer("tarid"))
        if tariff is None:
            raise ApiError("Тариф не найден")
        free = None
        price = tariff.connect_price + tariff.abo_price
        if tariff.numreq:
            numid = p.integer("numid")
            if numid is None:
                raise ApiError("Для тарифа требуется номер (numid)")
            free = self.free.get(numid)
            if free is None:
                raise ApiError("Номер занят или не существует")
            if (tariff.numreg and free["region"] != tariff.numreg) or free["type"] != tariff.numtype:
                raise ApiError("Номер не подходит для тарифа (регион или тип номера)")
            price += free["cost"]
        if acc.balance < price:
            raise ApiError(f"Недостаточно средств на балансе: требуется {money(price)}, доступно {money(acc.balance)}")
        acc.balance -= price
        nid = None
        if free is not None:
            del self.free[free["id"]]
            nid = self.ids("number")
            acc.numbers[nid] = {"id": nid, "number": free["number"], "region": free["region"], "type": free["type"]}
        acc.tariffs.append({"tariff": tariff.id, "nid": nid, "link_date": _now_text()})
        return {"vivaid": str(acc.vivaid), "err": 0, "numid": nid}

    def get_numbers_types(self, acc, p):
        return {"vivaid": acc.vivaid, "numberTypes": [{"id": k, "name": v} for k, v in NUMBER_TYPES.items()]}

    def get_free_numbers(self, acc, p):
        region, ntype, serie = p.integer("nr", 0), p.integer("nt"), p.text("serie")
        start, limit = self._paging(p)
        matching = [n for n in self.free.values()
                    if (not region or n["region"] == region) and (ntype is None or n["type"] == ntype)]
        series = sorted({n["number"][:7] for n in matching})
        if serie:
            matching = [n for n in matching if n["number"].startswith(serie)]
        page = self.paging.window(matching, start, limit)
        out = {"vivaid": str(acc.vivaid)}
        count = self.paging.count_value(len(matching), len(page))
        if count is not None:
            out["numbersCount"] = str(count)
        out["numbersSeries"] = [{"serie": s, "serie_form": format_serie(s)} for s in series]
        out["freeNumbers"] = [{"id": str(n["id"]), "number": n["number"], "numberform": format_number(n["number"]),
                               "ntype": str(n["type"]), "nregion": str(n["region"]), "cost": money(n["cost"])}
                              for n in page]
        return out

    # --- control helpers (used by server.py) -------------------------------------------

    def account(self, email):
        account = self.accounts.get((email or "").strip().lower())
        if account is None:
            raise KeyError(f"unknown sandbox account: {email!r}")
        return account

    def set_password(self, email, password):
        with self._lock:
            self.account(email).password = password

    def add_call(self, email, **row):
        row = self.calls.add(self.account(email), **row)
        out = format_call(row)
        if row[REC]:
            out["id"] = record_id(row)
        return out

    def call_rows(self, email, y, m):
        """Every reportCalls row of a month, oldest first, whatever the paging mode (for tests)."""
        return [format_call(r) for r in self.calls.rows(self.account(email), int(y), int(m))]

    def state(self, email):
        """A JSON-able snapshot of the account (secrets left out) for assertions."""
        with self._lock:
            acc = self.account(email)
            self._purge_deleted(acc)
            return json.loads(json.dumps({
                "email": acc.email, "contract": acc.contract, "vivaid": acc.vivaid, "balance": money(acc.balance),
                "numbers": [dict(n, numberform=format_number(n["number"])) for n in acc.numbers.values()],
                "sips": [{k: v for k, v in s.items() if k != "password"} for s in acc.sips.values()],
                "forwards": [dict({k: v for k, v in f.items() if k != "deleted_at"},
                                  deleted=f["deleted_at"] is not None) for f in acc.forwards.values()],
                "tariffs": [dict(t, name=TARIFFS[t["tariff"]].name) for t in acc.tariffs],
                "sessions": sum(1 for s in self._sessions.values() if s[0] is acc),
            }))
