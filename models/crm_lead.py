from odoo import api, fields, models
from odoo.osv import expression

from ..tools import normalize_phone


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "teleum.call.holder.mixin"]
    _teleum_number_fields = ("phone", "mobile")

    teleum_phone_key = fields.Char(compute="_compute_teleum_keys", store=True, index="btree_not_null")
    teleum_mobile_key = fields.Char(compute="_compute_teleum_keys", store=True, index="btree_not_null")
    teleum_recent_call_ids = fields.Many2many(help="The latest calls with this lead's contact or phone numbers.")
    teleum_routing_summary = fields.Html(
        help="Which of our numbers ring which agents: the numbers routed for this lead or its customer "
             "and the number they last called.")

    @api.depends("phone", "mobile", "country_id", "company_id")
    def _compute_teleum_keys(self):
        for lead in self:
            keys = lead._teleum_number_keys()
            lead.teleum_phone_key, lead.teleum_mobile_key = keys

    def _teleum_number_keys(self):
        """(phone key, mobile key) of the lead, normalised like the calls' numbers."""
        self.ensure_one()
        country = self.country_id or self.company_id.country_id or self.env.company.country_id
        args = (country.code, country.phone_code) if country else ("RU", 7)
        return (normalize_phone(self.phone, *args) or False, normalize_phone(self.mobile, *args) or False)

    def _teleum_call_domain(self):
        """The calls linked to the lead (its own, and those of leads merged into it), its contact's and
        its phone numbers'."""
        self.ensure_one()
        parts = [[("lead_id", "=", self.id)]] if self.id else []
        if self.partner_id:
            parts.append([("partner_id", "child_of", self.partner_id.id)])
        keys = [k for k in self._teleum_number_keys() if k]
        if keys:
            parts.append([("remote_number", "in", keys)])
        return expression.OR(parts) if parts else expression.FALSE_DOMAIN

    def _teleum_route_defaults(self):
        return {"partner": self.partner_id, "lead": self}

    @api.model
    def _teleum_leads_by_number(self, keys, company):
        """{number key: lead id} among the active leads of ``company``; the newest lead wins."""
        keys = [k for k in keys if k]
        if not keys:
            return {}
        leads = self.sudo().search_read(
            ["|", ("teleum_phone_key", "in", keys), ("teleum_mobile_key", "in", keys),
             ("company_id", "in", [False, company.id])],
            ["teleum_phone_key", "teleum_mobile_key"], order="id",
        )
        result = {}
        for lead in leads:
            for key in (lead["teleum_phone_key"], lead["teleum_mobile_key"]):
                if key in keys:
                    result[key] = lead["id"]
        return result

    def _teleum_link_calls(self):
        """Calls of unknown callers get linked to the lead created for their number."""
        leads = self.filtered(lambda lead: lead.active and (lead.teleum_phone_key or lead.teleum_mobile_key))
        if not leads:
            return
        keys = set(leads.mapped("teleum_phone_key")) | set(leads.mapped("teleum_mobile_key"))
        keys.discard(False)
        calls = self.env["teleum.call"].sudo().search(
            [("partner_id", "=", False), ("lead_id", "=", False), ("remote_number", "in", list(keys))])
        for lead in leads:
            keys = (lead.teleum_phone_key, lead.teleum_mobile_key)
            mine = calls.filtered(lambda c, lead=lead, keys=keys: c.remote_number in keys
                                  and (not lead.company_id or c.company_id == lead.company_id))
            if mine:
                mine.lead_id = lead
                calls -= mine

    # ------------------------------------------------------------------ merge
    def _merge_dependences(self, opportunities):
        """The merged leads' calls and forwards go to the lead that stays (Odoo moves their chatter,
        the calls' notes included, and their activities); one call-back is left on it."""
        res = super()._merge_dependences(opportunities)
        # sudo: whoever may merge the leads moves their calls, as event_crm moves registrations
        self.env["teleum.call"].sudo().search([("lead_id", "in", opportunities.ids)]).lead_id = self
        self.env["teleum.forward"].sudo().with_context(active_test=False).search(
            [("lead_id", "in", opportunities.ids)]).lead_id = self
        self._teleum_keep_one_callback()
        return res
