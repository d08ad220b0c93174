from odoo import api, models


class CrmTeam(models.Model):
    _inherit = "crm.team"

    # The team-calls rules hold the ids of the members of a leader's teams, and Odoo caches a
    # user's rules: a new leader, a team archived or deleted must clear that cache.
    @api.model_create_multi
    def create(self, vals_list):
        teams = super().create(vals_list)
        self._teleum_teams_changed()
        return teams

    def write(self, vals):
        res = super().write(vals)
        if {"user_id", "active", "member_ids", "crm_team_member_ids", "company_id"} & set(vals):
            self._teleum_teams_changed()
        return res

    def unlink(self):
        res = super().unlink()
        self._teleum_teams_changed()
        return res

    def _teleum_teams_changed(self):
        self.env.registry.clear_cache()  # the rules
        self.env["res.users"].invalidate_model(["teleum_team_member_ids"])
