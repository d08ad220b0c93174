from odoo import _, fields, models
from odoo.exceptions import AccessError


class DigestDigest(models.Model):
    _inherit = "digest.digest"

    kpi_teleum_not_returned = fields.Boolean("Missed calls not returned")
    kpi_teleum_not_returned_value = fields.Integer(compute="_compute_kpi_teleum_not_returned_value")

    def _compute_kpi_teleum_not_returned_value(self):
        """Missed calls of the period that nobody has returned yet (as the reader sees calls)."""
        if not self.env.user.has_group("teleum_telephony.group_teleum_own"):
            raise AccessError(_("Do not have access, skip this data for user's digest email"))
        self._calculate_company_based_kpi(
            "teleum.call", "kpi_teleum_not_returned_value", date_field="call_date",
            additional_domain=self.env["teleum.call"]._teleum_not_returned_domain())

    def _compute_kpis_actions(self, company, user):
        res = super()._compute_kpis_actions(company, user)
        res["kpi_teleum_not_returned"] = "teleum_telephony.teleum_call_action_not_returned?menu_id=%s" % (
            self.env.ref("teleum_telephony.menu_teleum_root").id)
        return res
