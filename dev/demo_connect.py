# Run by dev/run inside `odoo-bin shell`: point the main company's Teleum account at the sandbox,
# add the demo people (salespeople on the SIP lines, customers who call: dev/demo_data.py), sync,
# and transcribe the recorded calls with the sandbox's speech service.
import os

from odoo.addons.teleum_telephony.dev import demo_data

url = os.environ["TELEUM_SANDBOX_URL"]
company = env.ref("base.main_company")
Account = env["teleum.account"].sudo()
account = Account.search([("company_id", "=", company.id)], limit=1) or Account.create({"company_id": company.id})
account.write({"name": "Teleum (sandbox)", "api_url": url, "login": "demo@example.com", "password": "989864",
               "history_months": 3})
demo = demo_data.build_demo(env, account)
demo_data.add_missed_calls_day(account, demo)  # today's missed calls: returned, late, not returned
env.cr.commit()
account.action_sync()
env.cr.commit()
print(f"Teleum account {account.id}: {account.state} {account.last_error or ''} calls={account.call_count}")
# transcripts of the recorded calls, from the sandbox's speech service (served beside its API)
speech_url = url.split("/api/v3")[0].rstrip("/") + "/speech/v1"
handled = demo_data.transcribe(env, company, speech_url, "sandbox-speech-key")
env.cr.commit()
done = env["teleum.call"].search_count([("company_id", "=", company.id), ("transcript_state", "=", "done")])
print(f"Transcripts: {done} recorded calls transcribed and summarised ({handled} handled) by {speech_url}")
for user in demo["salespeople"]:
    lines = env["teleum.sip"].search([("user_id", "=", user.id)]).mapped("num")
    print(f"DEMO  {user.login} / {user.login}   {user.name}, salesperson (own calls), SIP line {', '.join(lines)}")
print(f"DEMO  {demo['manager'].login} / {demo['manager'].login}   {demo['manager'].name}, telephony manager")
leader = demo["leader"]
print(f"DEMO  {leader.login} / {leader.login}   {leader.name}, team leader (team calls: "
      f"{', '.join(demo['teams'].filtered(lambda t: t.user_id == leader).member_ids.mapped('name'))})")
