from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    # An unknown caller's call-back is held by the Teleum number they called, with every other
    # unknown caller of that number: this key tells whose it is (one call-back per caller), and
    # moves it to the contact or lead made for that number.
    teleum_caller_key = fields.Char(
        "Caller's number", index="btree_not_null", readonly=True, copy=False,
        help="The number (E.164 digits) of the caller this call-back is for.")
