from odoo import fields, models


class TeleumNumber(models.Model):
    _inherit = "teleum.number"

    auto_ticket = fields.Boolean(
        "Open tickets for missed calls",
        help="A missed call from a number that matches no contact opens a helpdesk ticket (one per caller "
             "while it is open).")
    ticket_team_id = fields.Many2one(
        "helpdesk.ticket.team", "Helpdesk team", check_company=True,
        help="The team of the tickets opened from calls to this number (Create ticket, missed calls).")
    ticket_channel_id = fields.Many2one(
        "helpdesk.ticket.channel", "Ticket channel", check_company=True,
        default=lambda self: self.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_phone", raise_if_not_found=False),
        help="The channel of the tickets opened from calls to this number (Phone by default).")
