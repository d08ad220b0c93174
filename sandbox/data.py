"""Catalogues and deterministic demo data of the Teleum sandbox.

Everything here is a pure function of the sandbox ``seed`` (``random.Random`` seeded with
strings, which is stable across runs and independent of ``PYTHONHASHSEED``).
"""

import hashlib
import random
import struct
from datetime import timedelta, timezone
from decimal import Decimal
from typing import NamedTuple

try:
    from zoneinfo import ZoneInfo

    MSK = ZoneInfo("Europe/Moscow")
except Exception:  # no tz database on the host: Moscow has been UTC+3 all year since 2014
    MSK = timezone(timedelta(hours=3), "MSK")

# --- catalogues (ids as the service would have them in its database) -----------------------

FT_SIP, FT_PHONE, FT_VOICEMAIL, FT_FAX = 1, 2, 3, 4
FORWARD_TYPES = {FT_SIP: "SIP", FT_PHONE: "Телефон", FT_VOICEMAIL: "Автоответчик", FT_FAX: "Факс"}

RCID_CALLER, RCID_GROUP, RCID_OWN = 1, 2, 3
RCID_TYPES = {RCID_CALLER: "вызывающего", RCID_GROUP: "групповой", RCID_OWN: "свой"}

NUMBER_TYPES = {0: "простой", 1: "серебряный", 2: "золотой"}
NUMBER_COST = {0: Decimal("0.00"), 1: Decimal("1500.00"), 2: Decimal("5000.00")}

# region id -> (name, series of the free-number pool)
REGIONS = {
    1: ("Санкт-Петербург", ("7812323", "7812309", "7812407")),
    2: ("Москва", ("7495120", "7499350", "7495777")),
    3: ("федеральный 7-800", ("7800555", "7800100", "7800333")),
}

WEEKDAYS = ("Понедельник", "Вторник", "Среда", "Четверг", "Пятница", "Суббота", "Воскресенье")

TARIFF_GROUPS = {1: "Виртуальные номера", 2: "Пакеты минут", 3: "Виртуальная АТС"}


class Tariff(NamedTuple):
    id: int
    group: int
    name: str
    name_lng: dict
    numreq: int
    numreg: int  # region id, 0 = any
    numtype: int
    textf: str
    connect_price: Decimal
    abo_price: Decimal
    pcost: str


def _tariff(*fields):
    *head, connect, abo, pcost = fields
    return Tariff(*head, Decimal(connect), Decimal(abo), pcost)


ABO, PACKAGE = "абонентская плата", "пакет минут"
TARIFFS = {t.id: t for t in (
    _tariff(11, 1, "Городской номер Санкт-Петербург", {"en": "St Petersburg city number"},
            1, 1, 0, "Прямой городской номер (812)", "0.00", "300.00", ABO),
    _tariff(12, 1, "Городской номер Москва", {"en": "Moscow city number"},
            1, 2, 0, "", "0.00", "450.00", ABO),
    _tariff(13, 1, "Номер 8-800", {}, 1, 3, 0, "Бесплатный для звонящих номер",
            "500.00", "1200.00", ABO),
    _tariff(14, 1, "Серебряный номер Санкт-Петербург", {}, 1, 1, 1, "", "300.00", "600.00", ABO),
    _tariff(15, 1, "Золотой номер Москва", {"en": "Moscow gold number", "de": "Goldene Nummer Moskau"},
            1, 2, 2, "Красивый номер", "1000.00", "3000.00", ABO),
    _tariff(16, 1, "Номер любого региона", {}, 1, 0, 0, "", "0.00", "350.00", ABO),
    _tariff(21, 2, "Пакет 500 минут", {}, 0, 0, 0, "", "0.00", "350.00", PACKAGE),
    _tariff(22, 2, "Пакет 2000 минут", {"en": "2000 minutes"}, 0, 0, 0, "", "0.00", "1200.00", PACKAGE),
    _tariff(31, 3, "Виртуальная АТС Старт", {}, 0, 0, 0, "До 5 SIP-линий", "0.00", "500.00", ABO),
    _tariff(32, 3, "Виртуальная АТС Бизнес", {}, 0, 0, 0, "До 50 SIP-линий, запись разговоров",
            "1000.00", "2500.00", ABO),
)}

# --- formatting ----------------------------------------------------------------------------


def format_number(e164):
    """'78123232323' -> '+7 (812) 323-2323' (the page's style); other lengths just get a '+'."""
    if len(e164) == 11 and e164[0] == "7":
        return f"+7 ({e164[1:4]}) {e164[4:7]}-{e164[7:]}"
    return "+" + e164


def format_serie(serie):
    """'7812323' -> '+7 (812) 323-хххх' (Cyrillic 'х', as on the page)."""
    return f"+7 ({serie[1:4]}) {serie[4:7]}-хххх"


def money(value):
    return f"{Decimal(value):.2f}"


def region_of(e164):
    return {"812": 1, "495": 2, "499": 2, "800": 3}.get(e164[1:4], 0)


def number_type_of(e164):
    """Gold: aaaa/abab/aabb tails; silver: xx00/abba/abbb tails; plain otherwise."""
    a, b, c, d = e164[-4:]
    if (a == c and b == d) or (a == b and c == d):
        return 2
    if c == d == "0" or (a == d and b == c) or b == c == d:
        return 1
    return 0


# --- accounts ------------------------------------------------------------------------------

DEFAULT_ACCOUNTS = (
    {"email": "demo@example.com", "password": "989864", "contract": "00000001", "vivaid": 1},
    {"email": "second@example.com", "password": "second-pass-2", "contract": "00000002", "vivaid": 2},
)


def numbered_accounts(count):
    """The two default accounts, then ``account3@example.com`` / ``account-pass-3`` and so on,
    ``count`` accounts in all (at least the two defaults)."""
    extra = [{"email": f"account{n}@example.com", "password": f"account-pass-{n}"}
             for n in range(len(DEFAULT_ACCOUNTS) + 1, count + 1)]
    return [dict(a) for a in DEFAULT_ACCOUNTS] + extra


DEMO_NUMBERS = ("78123232323", "74951234567", "78005553535")
PEOPLE = (("ivan", "Иван Петров"), ("maria", "Мария Смирнова"), ("petr", "Пётр Иванов"),
          ("olga", "Ольга Кузнецова"), ("sergey", "Сергей Попов"), ("anna", "Анна Соколова"),
          ("dmitry", "Дмитрий Волков"), ("elena", "Елена Морозова"))
ROLES = ("приёмная", "отдел продаж", "бухгалтерия", "директор", "склад")
USER_AGENTS = ("Yealink SIP-T21P_E2 52.84.0.15", "Zoiper rv2.10.18.6", "MicroSIP/3.21.3",
               "Grandstream GXP1625 1.0.7.13")
# (ttsh, ttsm, ttfh, ttfm, dts, dtf) windows
ALWAYS = [(0, 0, 23, 59, 1, 7)]
OFFICE_HOURS = [(9, 0, 18, 0, 1, 5)]
AFTER_HOURS = [(0, 0, 8, 59, 1, 5), (18, 1, 23, 59, 1, 5), (0, 0, 23, 59, 6, 7)]


class Ids:
    """Per-sandbox id sequences (numbers, forwards, ... each in its own range)."""

    START = {"number": 1001, "sip": 2001, "forward": 5001, "window": 7001, "free": 100001}

    def __init__(self):
        self._next = dict(self.START)

    def __call__(self, kind):
        value = self._next[kind]
        self._next[kind] = value + 1
        return value


class Account:
    """Live, mutable state of one customer account (guarded by the Api lock)."""

    def __init__(self, spec, index):
        self.email = spec["email"].strip().lower()
        self.password = spec["password"]
        self.vivaid = int(spec.get("vivaid", index + 1))
        self.contract = spec.get("contract", f"{self.vivaid:08d}")
        self.balance = Decimal(spec.get("balance", "1500.00" if index == 0 else "75.50"))
        self.numbers = {}   # id -> {id, number, region, type}
        self.sips = {}      # id -> {id, num, email, def, rcid, descr, uagent, password}
        self.forwards = {}  # id -> {id, nid, rtype, rnum, rtime, rcid, rcnid, direction, rec,
                            #        vpbx, moh, isolated, windows, deleted_at}
        self.tariffs = []   # {tariff, nid, link_date}
        # Frozen snapshot of the seeded numbers/lines/forward targets, used by the call
        # generator so that the call history never depends on later edits.
        self.call_profile = None


def _mobile(rng):
    return "79" + "".join(rng.choice("0123456789") for _ in range(9))


def _windows(ids, template):
    return [dict(zip(("sh", "sm", "fh", "fm", "dts", "dtf"), w), id=ids("window")) for w in template]


def build_accounts(seed, specs, ids, today):
    accounts = []
    for index, spec in enumerate(specs):
        acc = Account(spec, index)
        rng = random.Random(f"account:{seed}:{acc.vivaid}")
        if index == 0:
            numbers = DEMO_NUMBERS
        else:
            numbers = (f"7812{rng.randrange(2000000, 9999999)}", f"7495{rng.randrange(2000000, 9999999)}")
        for e164 in numbers:
            nid = ids("number")
            acc.numbers[nid] = {"id": nid, "number": e164, "region": region_of(e164),
                                "type": number_type_of(e164)}
        first_number = next(iter(acc.numbers))
        for i, (login, name) in enumerate(rng.sample(PEOPLE, 3 if index == 0 else 2)):
            sid = ids("sip")
            online = rng.random() < 0.6
            acc.sips[sid] = {"id": sid, "num": 101 + i, "email": f"{login}@example.com", "def": i == 0,
                             "rcid": first_number, "descr": f"{name}, {rng.choice(ROLES)}",
                             "uagent": rng.choice(USER_AGENTS) if online else "",
                             "password": f"Sip{rng.randrange(10**6, 10**7)}x"}
        sip_nums = [s["num"] for s in acc.sips.values()]
        for k, nid in enumerate(acc.numbers):
            plan = [(FT_SIP, str(sip_nums[k % len(sip_nums)]), ALWAYS if k % 2 == 0 else OFFICE_HOURS)]
            if k != 1:
                plan.append((FT_PHONE, _mobile(rng), OFFICE_HOURS if k == 0 else ALWAYS))
            if rng.random() < 0.8 or k == 0:
                plan.append((FT_VOICEMAIL, f"office{acc.vivaid}@example.com", AFTER_HOURS if k == 0 else ALWAYS))
            if index == 0 and k == 2:
                plan.append((FT_FAX, "fax@example.com", OFFICE_HOURS))
            for direction, (rtype, rnum, template) in enumerate(plan, 1):
                fid = ids("forward")
                own = rtype == FT_PHONE and k == 0
                acc.forwards[fid] = {
                    "id": fid, "nid": nid, "rtype": rtype, "rnum": rnum, "rtime": rng.choice((15, 20, 25, 30)),
                    "rcid": RCID_OWN if own else rng.choice((RCID_CALLER, RCID_GROUP)),
                    "rcnid": nid if own else None, "direction": direction, "rec": rng.random() < 0.5,
                    "vpbx": False, "moh": rtype == FT_SIP, "isolated": False,
                    "windows": _windows(ids, template), "deleted_at": None}
        for num in acc.numbers.values():
            tariff = {1: 11, 2: 12, 3: 13}[num["region"]]
            acc.tariffs.append({"tariff": tariff, "nid": num["id"], "link_date": _past(rng, today)})
        acc.tariffs.append({"tariff": 21 if index == 0 else 31, "nid": None, "link_date": _past(rng, today)})
        targets = {}
        for f in acc.forwards.values():
            if f["rtype"] in (FT_SIP, FT_PHONE):
                targets.setdefault(acc.numbers[f["nid"]]["number"], []).append(f["rnum"])
        acc.call_profile = (tuple(n["number"] for n in acc.numbers.values()),
                            tuple(str(n) for n in sip_nums),
                            {k: tuple(v) for k, v in targets.items()})
        accounts.append(acc)
    return accounts


def _past(rng, today):
    day = today - timedelta(days=rng.randrange(200, 900))
    return f"{day:%Y-%m-%d} {rng.randrange(9, 19):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}"


# --- free numbers --------------------------------------------------------------------------

def build_free_numbers(seed, taken, ids):
    """A few hundred numbers per region and type, spread over three series per region."""
    rng = random.Random(f"free:{seed}")
    tails = {0: [], 1: [], 2: []}
    for n in range(10000):
        tail = f"{n:04d}"
        tails[number_type_of(tail)].append(tail)
    chosen = []
    for region, (_, series) in REGIONS.items():
        for serie in series:
            for ntype, count in ((0, 100), (1, 80), (2, 80)):
                for tail in rng.sample(tails[ntype], count):
                    e164 = serie + tail
                    if e164 not in taken:
                        cost = NUMBER_COST[ntype] + (Decimal("500.00") if region == 3 else 0)
                        chosen.append({"number": e164, "region": region, "type": ntype, "cost": cost})
    chosen.sort(key=lambda n: n["number"])
    pool = {}
    for entry in chosen:
        entry["id"] = ids("free")
        pool[entry["id"]] = entry
    return pool


def external_numbers(seed, n):
    """The first ``n`` numbers of the deterministic pool of outside callers (E.164 digits)."""
    rng = random.Random(f"external:{seed}")
    seen, out = set(DEMO_NUMBERS), []
    while len(out) < n:
        if rng.random() < 0.85:
            number = f"79{rng.randrange(10**9):09d}"
        else:
            number = rng.choice(("7495", "7499", "7812", "7843")) + f"{rng.randrange(10**7):07d}"
        if number not in seen:
            seen.add(number)
            out.append(number)
    return out


# --- audio ---------------------------------------------------------------------------------

# MPEG-1 Layer III, 32 kbit/s, 32 kHz, mono: 144-byte frames. A zero side info means empty
# granules (silence); the rest of each frame is ancillary data, which decoders skip, so we fill
# it with bytes derived from the file id to make every recording (and every Range) distinct.
_MP3_HEADER = b"\xff\xfb\x18\xc0"
_SIDE_INFO = bytes(17)
_FRAME_TAIL = 144 - len(_MP3_HEADER) - len(_SIDE_INFO)


def recording_bytes(fileid):
    """Deterministic, valid, silent MP3 (ID3v2.3 title tag + 16..63 frames, 2-9 KB)."""
    digest = hashlib.sha256(fileid.encode()).digest()
    title = fileid.encode("ascii", "replace")
    frame = b"TIT2" + struct.pack(">I", len(title) + 1) + b"\x00\x00\x00" + title
    size = len(frame)
    syncsafe = bytes(((size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F))
    out = [b"ID3\x03\x00\x00" + syncsafe + frame]
    for i in range(16 + digest[0] % 48):
        block = hashlib.sha256(digest + i.to_bytes(2, "big")).digest() * 4
        # keep ancillary bytes below 0x80 so they never look like a frame sync (0xFF)
        out.append(_MP3_HEADER + _SIDE_INFO + bytes(b & 0x7F for b in block[:_FRAME_TAIL]))
    return b"".join(out)
