"""Demo people of `dev/run` (and of the role tours): salespeople on the SIP lines, customers calling.

Built from what the Teleum account (the sandbox) has, before its first sync, so that the import
finds contacts, leads and agents: customers with the account's most frequent callers' numbers,
typed the way people type them, a company with two contacts, open leads for callers who are not
contacts; a salesperson per SIP line (e-mail = the line's, so the first sync gives them their
line; or, with ``assign_lines=False``, an e-mail of their own, for a manager to assign the line),
a telephony manager, a team leader who sees her team's calls, two sales teams, and a caller on the
phone blacklist. Idempotent: people already there are reused.
"""

from collections import Counter


def typed(e164, style):
    """A Russian number the way people type it: 8 (812) 323-23-23, +7 812 3232323…"""
    a, b, c, d = e164[1:4], e164[4:7], e164[7:9], e164[9:11]
    return [
        f"8 ({a}) {b}-{c}-{d}",
        f"+7 {a} {b}{c}{d}",
        f"+7 ({a}) {b}-{c}{d}",
        f"8-{a}-{b}-{c}-{d}",
        f"8{a}{b}{c}{d}",
        f"+7{a}{b}{c}{d}",
    ][style % 6]


def frequent_callers(client, months, ours=(), limit=12):
    """The outside numbers with the most calls over ``months`` (most first), read from Teleum."""
    counts = Counter()
    for month in months:
        for call in client.iter_calls(month.year, month.month):
            for number in (call.src, call.dst):
                number = (number or "").strip()
                if len(number) == 11 and number.startswith("7") and number not in ours:
                    counts[number] += 1
    return [number for number, _count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]


def _user(env, login, name, email, groups):
    Users = env["res.users"].sudo().with_context(no_reset_password=True)
    user = Users.with_context(active_test=False).search([("login", "=", login)], limit=1)
    if user:
        return user
    return Users.create({
        "login": login, "password": login, "name": name, "email": email, "tz": "Europe/Moscow",
        "company_id": env.company.id, "company_ids": [(6, 0, [env.company.id])],
        "groups_id": [(6, 0, [env.ref(g).id for g in groups])],
    })


def build_demo(env, account, assign_lines=True):
    """Create the demo people for ``account`` (before its first sync). Returns what was made."""
    env.company.country_id = env.ref("base.ru")  # numbers typed without +7 are read as Russian
    client = account._get_client()
    sips = client.get_sips()
    salespeople = env["res.users"]
    for sip in sorted(sips, key=lambda s: s.num):
        local = (sip.email or f"line{sip.num}@example.com").split("@")[0]
        name = (sip.description or "").split(",")[0].strip() or f"Line {sip.num}"
        email = sip.email if assign_lines else f"{local}@sales.example.org"
        salespeople |= _user(env, local, name, email,
                             ["sales_team.group_sale_salesman", "teleum_telephony.group_teleum_own"])
    manager = _user(env, "manager", "Светлана Орлова", "manager@sales.example.org",
                    ["sales_team.group_sale_manager", "teleum_telephony.group_teleum_manager"])
    leader = _user(env, "nadia", "Надежда Егорова", "nadia@sales.example.org",
                   ["sales_team.group_sale_salesman", "teleum_telephony.group_teleum_team"])
    teams = _teams(env, salespeople, leader, manager)

    Partner = env["res.partner"].sudo()
    company = Partner.search([("name", "=", "ООО «Балтийские окна»"), ("is_company", "=", True)], limit=1)
    if company:
        return {"salespeople": salespeople, "manager": manager, "leader": leader, "teams": teams,
                "company": company}
    ours = {n.number for n in client.get_connected_numbers()} | {s.num for s in sips}
    callers = frequent_callers(client, account._calls_months(), ours)
    ru = env.ref("base.ru").id

    def seller(i):
        return salespeople[i % len(salespeople)].id if salespeople else False

    company = Partner.create({"name": "ООО «Балтийские окна»", "is_company": True, "country_id": ru,
                              "city": "Санкт-Петербург", "phone": typed(callers[0], 0), "user_id": seller(0)})
    contacts = Partner.create([
        {"name": "Алексей Громов", "parent_id": company.id, "function": "Директор по закупкам",
         "mobile": typed(callers[1], 1), "country_id": ru, "user_id": seller(0)},
        {"name": "Ирина Лебедева", "parent_id": company.id, "function": "Бухгалтер",
         "phone": typed(callers[2], 3), "country_id": ru, "user_id": seller(0)},
    ])
    people = [("Николай Федоров", "phone"), ("Татьяна Белова", "mobile"), ("Григорий Орлов", "phone"),
              ("Марина Зайцева", "mobile")]
    customers = Partner.create([
        {"name": name, field: typed(callers[3 + i], i + 2), "country_id": ru, "user_id": seller(i + 1)}
        for i, (name, field) in enumerate(people) if 3 + i < len(callers)
    ])
    subjects = ("Запрос: пластиковые окна для офиса", "Доставка в Москву", "Оптовая цена, 200 шт.")
    leads = env["crm.lead"].sudo().create([
        {"name": subject, "type": "lead", "phone": typed(callers[7 + i], i + 4), "user_id": seller(i),
         "country_id": ru}
        for i, subject in enumerate(subjects) if 7 + i < len(callers)
    ])
    # a spam caller: on Odoo's phone blacklist, its calls are imported and make nothing else
    blacklisted = callers[10] if len(callers) > 10 else False
    if blacklisted:
        env["phone.blacklist"].sudo()._add(["+" + blacklisted])
    return {"salespeople": salespeople, "manager": manager, "leader": leader, "teams": teams, "company": company,
            "contacts": contacts | customers, "leads": leads, "blacklisted": blacklisted}


def _teams(env, salespeople, leader, manager):
    """Two sales teams: «Север» (Elena and Ivan, led by Nadia, who sees their calls: Team Calls)
    and «Юг» (the other salespeople, led by the manager)."""
    Team = env["crm.team"].sudo()
    north_members = salespeople.filtered(lambda u: u.login in ("elena", "ivan"))
    teams = Team
    for name, user, members in (("Отдел продаж «Север»", leader, north_members),
                                ("Отдел продаж «Юг»", manager, salespeople - north_members)):
        team = Team.search([("name", "=", name)], limit=1)
        if not team:
            team = Team.create({"name": name, "user_id": user.id, "member_ids": [(6, 0, members.ids)]})
        teams |= team
    return teams


def add_missed_calls_day(account, demo, now=None):
    """Today's missed calls on the sandbox (its /_sandbox/add_call), for the calls analysis: one
    returned in time (dialled with 8), one after an unanswered attempt, late, one returned by the
    caller calling again, and two callers nobody called back (a contact and an unknown number)."""
    from datetime import datetime, timedelta
    from urllib.parse import urlsplit

    import pytz
    import requests

    parts = urlsplit(account.api_url)
    control = f"{parts.scheme}://{parts.netloc}/_sandbox/add_call"
    client = account._get_client()
    ours = sorted(n.number for n in client.get_connected_numbers())
    lines = sorted(s.num for s in client.get_sips())
    if not ours or len(lines) < 2:
        return 0
    keys = [p.teleum_phone_key or p.teleum_mobile_key for p in demo.get("contacts", ())
            if p.teleum_phone_key or p.teleum_mobile_key]
    lead_keys = [lead.teleum_phone_key for lead in demo.get("leads", ()) if lead.teleum_phone_key]
    if len(keys) < 3 or not lead_keys:
        return 0
    now = now or datetime.now(pytz.timezone(account.timezone or "Europe/Moscow"))
    forwarded = "Переадресация на: "
    calls = [  # (minutes ago, from, to, status, talk seconds, forward)
        (300, lead_keys[0], ours[0], "NO ANSWER", 0, forwarded + lines[0]),
        (290, lead_keys[0], ours[0], "ANSWERED", 95, forwarded + lines[0]),    # the caller again: in time
        (240, keys[0], ours[0], "NO ANSWER", 0, forwarded + lines[0]),
        (232, lines[0], "8" + keys[0][1:], "ANSWERED", 120, ""),               # dialled with 8: in time
        (200, keys[1], ours[0], "BUSY", 0, forwarded + lines[1]),
        (190, lines[1], keys[1], "NO ANSWER", 0, ""),                          # an attempt: not a return
        (150, lines[1], keys[1], "ANSWERED", 60, ""),                          # returned late
        (120, keys[2], ours[0], "NO ANSWER", 0, forwarded + lines[1]),         # never returned
        (60, keys[2], ours[0], "NO ANSWER", 0, forwarded + lines[1]),
        (30, "79031234567", ours[0], "NO ANSWER", 0, forwarded + lines[0]),    # an unknown caller
    ]
    for ago, src, dst, status, talk, rdr in calls:
        when = (now - timedelta(minutes=ago)).strftime("%Y-%m-%d %H:%M:%S")
        requests.post(control, json={"email": account.login, "src": src, "dst": dst, "calldate": when,
                                     "billsecu": str(talk), "billsec": "%02d:%02d" % divmod(talk, 60),
                                     "disposition": status, "rdr": rdr}, timeout=10).raise_for_status()
    return len(calls)


def transcribe(env, company, speech_url, key):
    """Transcripts and summaries of the recorded calls, from the sandbox's speech service
    (``speech_url``: its base, …/speech/v1). Returns how many calls were handled."""
    oldest = env["teleum.call"].search([("company_id", "=", company.id), ("call_date", "!=", False)],
                                       order="call_date", limit=1)
    first = oldest.call_date.date() if oldest else False  # the whole history
    company.sudo().write({
        "teleum_stt_url": speech_url, "teleum_stt_key": key, "teleum_stt_model": "whisper-1",
        "teleum_summary_model": "gpt-4o-mini", "teleum_stt_language": "ru", "teleum_stt_since": first,
    })
    Call, done = env["teleum.call"], 0
    for _batch in range(100):  # what the scheduled action does over its runs, at once
        handled, left = Call._teleum_transcribe_company(company, batch=200)
        done += handled
        if not handled or not left:
            break
    return done
