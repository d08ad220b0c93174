from odoo import models


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _update_reference_fields(self, src_partners, dst_partner):
        # Odoo moves the merged contacts' calls and forwards (foreign keys) and their activities here;
        # one call-back is left on the contact that stays, as the import keeps it.
        res = super()._update_reference_fields(src_partners, dst_partner)
        dst_partner._teleum_keep_one_callback()
        return res
