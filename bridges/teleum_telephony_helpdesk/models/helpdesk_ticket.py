from odoo import api, fields, models
from odoo.osv import expression

from odoo.addons.teleum_telephony.tools import normalize_phone


class HelpdeskTicket(models.Model):
    _name = "helpdesk.ticket"
    _inherit = ["helpdesk.ticket", "teleum.call.holder.mixin"]

    teleum_phone = fields.Char("Phone", help="The customer's phone number: the calls with it are listed on the ticket.")
    teleum_phone_key = fields.Char(compute="_compute_teleum_phone_key", store=True, index="btree_not_null")
    teleum_recent_call_ids = fields.Many2many(
        help="The latest calls with this ticket's contact or phone number, and the calls it was opened from.")

    @api.depends("teleum_phone", "partner_id.country_id", "company_id")
    def _compute_teleum_phone_key(self):
        for ticket in self:
            country = ticket.partner_id.country_id or ticket.company_id.country_id
            args = (country.code, country.phone_code) if country else ("RU", 7)
            ticket.teleum_phone_key = normalize_phone(ticket.teleum_phone, *args) or False

    def _teleum_call_domain(self):
        """The calls of the ticket: its contact's (and its contact's people), its phone number's,
        and those it was created from."""
        self.ensure_one()
        # the link from a call to its ticket is readable by administrators only (see teleum.call)
        linked = self.env["teleum.call"].sudo().search([("helpdesk_ticket_id", "=", self.id)]).ids
        parts = [[("id", "in", linked)]]
        if self.partner_id:
            parts.append([("partner_id", "child_of", self.partner_id.id)])
        if self.teleum_phone_key:
            parts.append([("remote_number", "=", self.teleum_phone_key)])
        return expression.OR(parts)

    @api.model
    def _teleum_tickets_of_callers(self, calls):
        """The tickets (any stage, newest first) of the callers of ``calls``: on the caller's contact
        (or a person of it), or with the caller's number."""
        partners = calls.partner_id
        keys = [k for k in set(calls.mapped("remote_number")) if k]
        if not keys:
            return self.browse()
        domain = [("teleum_phone_key", "in", keys)]
        if partners:
            domain = expression.OR([domain, [("partner_id", "in", partners.ids)],
                                    [("commercial_partner_id", "in", partners.ids)]])
        return self.sudo().search(
            expression.AND([domain, [("company_id", "in", calls.company_id.ids)]]), order="id desc")

    def _teleum_of_caller(self, call):
        """Those of these tickets that belong to the caller of ``call``."""
        return self.filtered(
            lambda t: t.teleum_phone_key == call.remote_number
            or (call.partner_id and call.partner_id in (t.partner_id | t.commercial_partner_id)))
