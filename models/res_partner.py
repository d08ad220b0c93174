from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..tools import normalize_phone


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "teleum.call.holder.mixin"]
    _teleum_number_fields = ("phone", "mobile")

    teleum_phone_key = fields.Char(compute="_compute_teleum_keys", store=True, index="btree_not_null",
                                   groups="base.group_user")
    teleum_mobile_key = fields.Char(compute="_compute_teleum_keys", store=True, index="btree_not_null",
                                    groups="base.group_user")
    teleum_call_ids = fields.One2many("teleum.call", "partner_id", string="Call history")
    teleum_recent_call_ids = fields.Many2many(
        help="The latest calls with this contact (and, for a company, with its contacts).")
    teleum_forward_ids = fields.One2many(
        "teleum.forward", "partner_id", string="Forwards routed for this customer",
        groups="teleum_telephony.group_teleum_own",
        help="Forwards of our Teleum numbers made with 'Route calls to an agent' on this customer.",
    )
    teleum_routing_summary = fields.Html(
        help="Which of our numbers ring which agents: the numbers routed for this customer and the "
             "number they last called.")

    # Trigram indexes for the search of calls by contact name: Odoo turns ("partner_id", "ilike", text)
    # into an ILIKE '%text%' over every column of res.partner's _rec_names_search, OR-ed. Without an
    # index on each of them the OR reads all contacts (46 ms at 50,000); with them, a BitmapOr of
    # index scans (4 ms). Partial where a column is mostly empty (then they cost next to nothing).
    # The contacts' form, list and import are Odoo's and unaffected; the call import writes no contact.
    _TELEUM_TRIGRAM_INDEXES = {
        "teleum_res_partner_complete_name_trgm_idx": ("complete_name", False),
        "teleum_res_partner_email_trgm_idx": ("email", True),
        "teleum_res_partner_ref_trgm_idx": ("ref", True),
        "teleum_res_partner_vat_trgm_idx": ("vat", True),
        "teleum_res_partner_company_registry_trgm_idx": ("company_registry", True),
    }

    def init(self):
        super().init()
        if not self.env.registry.has_trigram:  # no pg_trgm in this database: Odoo's plain search
            return
        for name, (column, partial) in self._TELEUM_TRIGRAM_INDEXES.items():
            self.env.cr.execute(SQL(
                "CREATE INDEX IF NOT EXISTS %s ON res_partner USING gin (%s gin_trgm_ops)%s",
                SQL.identifier(name), SQL.identifier(column),
                SQL(" WHERE %s IS NOT NULL", SQL.identifier(column)) if partial else SQL(),
            ))

    @api.depends("phone", "mobile", "country_id")
    def _compute_teleum_keys(self):
        for partner in self:
            country = partner.country_id or partner.company_id.country_id or self.env.company.country_id
            args = (country.code, country.phone_code) if country else ("RU", 7)
            partner.teleum_phone_key = normalize_phone(partner.phone, *args) or False
            partner.teleum_mobile_key = normalize_phone(partner.mobile, *args) or False

    def _teleum_call_domain(self):
        """A company's calls are its contacts' too."""
        self.ensure_one()
        return [("partner_id", "child_of", self.id)]

    def _teleum_route_defaults(self):
        return {"partner": self}

    @api.model
    def _teleum_partners_by_number(self, keys, company):
        """{number key: partner id} for the given keys; several matches prefer one commercial partner."""
        partners = self.with_context(active_test=False).search_read(
            ["|", ("teleum_phone_key", "in", list(keys)), ("teleum_mobile_key", "in", list(keys)),
             ("active", "=", True), ("company_id", "in", [False, company.id])],
            ["teleum_phone_key", "teleum_mobile_key", "commercial_partner_id"], order="id",
            load=None,  # the company's id, not its display name (a name per contact at every page)
        )
        matches = {}
        for p in partners:
            for key in {p["teleum_phone_key"], p["teleum_mobile_key"]} & keys:
                matches.setdefault(key, []).append(p)
        result = {}
        for key, found in matches.items():
            commercial = {p["commercial_partner_id"] for p in found if p["commercial_partner_id"]}
            if len(found) == 1:
                result[key] = found[0]["id"]
            elif len(commercial) == 1:
                result[key] = commercial.pop()
            else:  # different companies share the number: the oldest contact, deterministically
                result[key] = found[0]["id"]
        return result

    def _teleum_link_calls(self):
        """Calls from a number that matched nobody are linked once a contact has that number."""
        keys = set(self.mapped("teleum_phone_key")) | set(self.mapped("teleum_mobile_key"))
        keys.discard(False)
        if not keys:
            return
        calls = self.env["teleum.call"].sudo().search([("partner_id", "=", False), ("remote_number", "in", list(keys))])
        for company in calls.company_id:
            company_calls = calls.filtered(lambda c, company=company: c.company_id == company)
            matched = self._teleum_partners_by_number(keys, company)
            for key in set(company_calls.mapped("remote_number")):
                if matched.get(key):
                    company_calls.filtered(lambda c, key=key: c.remote_number == key).partner_id = matched[key]

    def action_teleum_erase_transcripts(self):
        """Managers, on request: the transcripts and summaries of this contact's calls (a company's
        contacts' too) emptied, taken out of the chatter notes, and not made again."""
        self.ensure_one()
        if not self.env.user.has_group("teleum_telephony.group_teleum_manager"):
            raise AccessError(_("Only telephony managers may erase transcripts."))
        # the calls the manager may read (their companies), as the Calls tab lists them
        calls = self.env["teleum.call"].search(self._teleum_call_domain())
        erased = calls._teleum_erase_transcripts()
        return self.env["teleum.account"]._notify(
            _("Transcripts erased"),
            _("%(count)s calls with %(name)s no longer have a transcript.", count=len(erased), name=self.display_name),
            "success")
