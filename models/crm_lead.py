from odoo import _, api, fields, models

from ..tools import normalize_phone

RECENT_CALLS = 40


def hide_number_keys(description):
    """The fields_get ``description`` of contacts or leads without their stored number keys among
    what a user can group by, filter or sort on (an index for matching calls, not information)."""
    for fname in ("teleum_phone_key", "teleum_mobile_key"):
        for attr in ("groupable", "searchable", "sortable"):
            if attr in description.get(fname, {}):
                description[fname][attr] = False
    return description


class CrmLead(models.Model):
    _inherit = "crm.lead"

    teleum_phone_key = fields.Char(compute="_compute_teleum_keys", store=True, index="btree_not_null")
    teleum_mobile_key = fields.Char(compute="_compute_teleum_keys", store=True, index="btree_not_null")
    teleum_call_count = fields.Integer("Calls", compute="_compute_teleum_calls")
    teleum_recent_call_ids = fields.Many2many(
        "teleum.call", string="Latest calls", compute="_compute_teleum_calls",
        groups="teleum_telephony.group_teleum_own",
        help="The latest calls with this lead's contact or phone numbers.",
    )

    teleum_routing_summary = fields.Html(
        "Who answers", compute="_compute_teleum_routing", sanitize=False, groups="teleum_telephony.group_teleum_own",
        help="Which of our numbers ring which agents: the numbers routed for this lead or its customer "
             "and the number they last called.")
    teleum_routing_forward_ids = fields.Many2many(
        "teleum.forward", string="Forwards", compute="_compute_teleum_routing",
        groups="teleum_telephony.group_teleum_own")

    @api.model
    def fields_get(self, allfields=None, attributes=None):
        return hide_number_keys(super().fields_get(allfields, attributes))

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
        self.ensure_one()
        keys = [k for k in self._teleum_number_keys() if k]
        if self.partner_id:
            return ["|", ("partner_id", "child_of", self.partner_id.id), ("remote_number", "in", keys)]
        return [("remote_number", "in", keys)] if keys else [("id", "=", 0)]

    def _compute_teleum_calls(self):
        Call = self.env["teleum.call"]
        allowed = Call.has_access("read")
        for lead in self:
            if not lead.id or not allowed:
                lead.teleum_call_count = 0
                lead.teleum_recent_call_ids = Call
                continue
            domain = lead._teleum_call_domain()
            lead.teleum_call_count = Call.search_count(domain)
            lead.teleum_recent_call_ids = Call.search(domain, limit=RECENT_CALLS)

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_teleum_routing(self):
        Forward = self.env["teleum.forward"]
        for lead in self:
            forwards = (Forward._teleum_routing_forwards(partner=lead.partner_id, lead=lead) if lead.id
                        else Forward)
            lead.teleum_routing_forward_ids = forwards
            lead.teleum_routing_summary = Forward._teleum_routing_summary(forwards)

    def action_teleum_route_calls(self):
        """Open the editor that makes one of our numbers ring this lead's agent."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Route %(name)s's calls to an agent", name=self.partner_id.display_name or self.name),
            "res_model": "teleum.route.calls.wizard",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_lead_id": self.id, "default_partner_id": self.partner_id.id},
        }

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

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        if any(v.get("phone") or v.get("mobile") for v in vals_list):
            leads._teleum_link_calls()
        return leads

    def write(self, vals):
        res = super().write(vals)
        if "phone" in vals or "mobile" in vals:
            self._teleum_link_calls()
        return res

    def action_teleum_calls(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("teleum_telephony.teleum_call_action")
        action["domain"] = self._teleum_call_domain()
        return action
