# Run by dev/run inside `odoo-bin shell`: point the main company's Teleum account at the sandbox.
import os

url = os.environ["TELEUM_SANDBOX_URL"]
company = env.ref("base.main_company")
Account = env["teleum.account"].sudo()
account = Account.search([("company_id", "=", company.id)], limit=1) or Account.create({"company_id": company.id})
account.write({"name": "Teleum (sandbox)", "api_url": url, "login": "demo@example.com", "password": "989864",
               "history_months": 3})
account.action_sync()
env.cr.commit()
print(f"Teleum account {account.id}: {account.state} {account.last_error or ''} calls={account.call_count}")
