from odoo.tools import SQL


def uninstall_hook(env):
    """What Odoo does not remove by itself: our indexes on res_partner, a table that stays."""
    for name in env["res.partner"]._TELEUM_TRIGRAM_INDEXES:
        env.cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(name)))
