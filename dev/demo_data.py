"""Demo people of `dev/run` (and of the role tours): salespeople on the SIP lines, customers calling.

Built from what the Teleum account (the sandbox) has, before its first sync, so that the import
finds contacts, leads and agents: customers with the account's most frequent callers' numbers,
typed the way people type them, a company with two contacts, open leads for callers who are not
contacts; a salesperson per SIP line (e-mail = the line's, so the first sync gives them their
line; or, with ``assign_lines=False``, an e-mail of their own, for a manager to assign the line)
and a telephony manager. Idempotent: people already there are reused.
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

    Partner = env["res.partner"].sudo()
    company = Partner.search([("name", "=", "ООО «Балтийские окна»"), ("is_company", "=", True)], limit=1)
    if company:
        return {"salespeople": salespeople, "manager": manager, "company": company}
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
    return {"salespeople": salespeople, "manager": manager, "company": company,
            "contacts": contacts | customers, "leads": leads}
