# Run by dev/test-servers inside `odoo-bin shell`: N Teleum accounts (one company each) on the
# sandbox, each with Sync now requested by the admin, and the calls cron due: when the two servers
# start, both scheduled actions have work for them.
import os

from odoo import fields

url, count = os.environ["TELEUM_SANDBOX_URL"], int(os.environ["TELEUM_ACCOUNTS"])
logins = [("demo@example.com", "989864"), ("second@example.com", "second-pass-2")] + [
    (f"account{n}@example.com", f"account-pass-{n}") for n in range(3, count + 1)]
Account = env["teleum.account"].sudo()
for n, (login, password) in enumerate(logins[:count], 1):
    company = env.ref("base.main_company") if n == 1 else env["res.company"].create({"name": f"Company {n}"})
    Account.create({"name": f"Teleum {n}", "company_id": company.id, "api_url": url, "login": login,
                    "password": password, "history_months": 3,
                    "sync_requested_by": env.ref("base.user_admin").id, "sync_requested_at": fields.Datetime.now()})
for xmlid in ("ir_cron_teleum_sync_calls", "ir_cron_teleum_sync_requested"):
    env.ref(f"teleum_telephony.{xmlid}").sudo().nextcall = fields.Datetime.now()
env.cr.commit()
print(f"{count} accounts on {url}")
