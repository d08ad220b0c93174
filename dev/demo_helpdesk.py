# Run by dev/run inside `odoo-bin shell` after demo_connect.py: one helpdesk ticket for the most
# frequent recorded caller, so that the demo shows a ticket's calls and recordings. Idempotent;
# nothing without the helpdesk bridge.
Ticket = env.get("helpdesk.ticket")  # env: given by odoo-bin shell
if Ticket is not None and "teleum_phone" in Ticket._fields and not Ticket.search_count([("teleum_phone", "!=", False)]):
    env.cr.execute(
        "SELECT remote_number FROM teleum_call WHERE remote_number IS NOT NULL AND recording_id IS NOT NULL"
        " GROUP BY remote_number ORDER BY count(*) DESC, remote_number LIMIT 1")
    row = env.cr.fetchone()
    if row:
        call = env["teleum.call"].search([("remote_number", "=", row[0])], limit=1)
        Ticket.create({
            "name": "Printer jams again",
            "description": "<p>Demo ticket: the customer called about it several times.</p>",
            "teleum_phone": "+" + row[0],
            "partner_id": call.partner_id.id or False,
            "channel_id": env.ref("helpdesk_mgmt.helpdesk_ticket_channel_phone").id,
            "user_id": env.ref("base.user_admin").id,
        })
        env.cr.commit()
        print("Demo helpdesk ticket created for +%s" % row[0])
