"""Call forwards: what a user typed, checked before anything is sent to Teleum."""

from odoo import _, api, models
from odoo.exceptions import ValidationError

from ..tools import bare_email, phone_target


class TeleumForward(models.Model):
    _inherit = "teleum.forward"

    @api.model
    def _teleum_check_values(self, number, values):
        """Validate the complete forward ``values`` (records, not ids) and return the editForward
        arguments. Raises a translated ValidationError before anything is sent."""
        account = number.account_id
        if not number.teleum_id:
            raise ValidationError(_("Teleum has not given an id to %(number)s yet: read the numbers "
                                    "from Teleum first.", number=number.display_name))
        ftype = values["type_id"]
        if not ftype:
            raise ValidationError(_("Choose the type of the forward."))
        for label, rec in ((_("type"), ftype), (_("caller ID"), values["callerid_type_id"]),
                           (_("caller ID number"), values["callerid_number_id"])):
            if rec and rec.account_id != account:
                raise ValidationError(_("The %(what)s of a forward must come from the same Teleum account "
                                        "as its number.", what=label))
        timeout = values["timeout"]
        if isinstance(timeout, bool) or not isinstance(timeout, int) or not 5 <= timeout <= 30:
            raise ValidationError(_("The timeout of a forward must be between 5 and 30 seconds "
                                    "(got %(timeout)s).", timeout=timeout))
        target = (values["target"] or "").strip()
        if not target:
            raise ValidationError(_("Enter where the forward rings (a SIP line, a phone number or an e-mail)."))
        kind = ftype.kind
        if kind == "sip":
            sip = self.env["teleum.sip"].search([("account_id", "=", account.id), ("num", "=", target)], limit=1)
            if not sip:
                raise ValidationError(_("%(target)s is not a SIP line of this account. Choose one of: "
                                        "%(lines)s.", target=target, lines=", ".join(
                                            self.env["teleum.sip"].search([("account_id", "=", account.id)])
                                            .mapped("num")) or _("(none)")))
        elif kind == "phone":
            target = phone_target(self.env, target, account.company_id.country_id)
        elif kind == "email":
            normalized = bare_email(target)
            if not normalized:
                raise ValidationError(_("%(target)s is not a valid e-mail address (answering machine and "
                                        "fax forwards send to an e-mail).", target=target))
            target = normalized
        cid = values["callerid_type_id"]
        if not cid:
            raise ValidationError(_("Choose how the caller ID is presented."))
        cnum = values["callerid_number_id"]
        if cid.is_own:
            if not cnum:
                raise ValidationError(_("The caller ID mode '%(mode)s' presents one of your numbers: "
                                        "choose which.", mode=cid.display_name))
            if not cnum.teleum_id:
                raise ValidationError(_("Teleum has not given an id to %(number)s yet.",
                                        number=cnum.display_name))
        return {
            "type_id": ftype.teleum_id, "number_id": number.teleum_id, "timeout": timeout,
            "callerid_type_id": cid.teleum_id, "target": target,
            "callerid_number_id": cnum.teleum_id if cid.is_own else None,
            "isolated": bool(values["isolated"]) and kind == "sip", "record": bool(values["record"]),
            "vpbx": bool(values["vpbx"]), "moh": bool(values["moh"]),
        }

    def _teleum_current_values(self):
        self.ensure_one()
        return {f: self[f] for f in ("type_id", "target", "timeout", "callerid_type_id", "callerid_number_id",
                                     "record", "moh", "vpbx", "isolated")}

    @api.model
    def _teleum_values_from_vals(self, vals, base=None):
        """Merge ORM ``vals`` (ids) into ``base`` (records) for validation."""
        values = dict(base or {
            "type_id": self.env["teleum.forward.type"], "target": "", "timeout": 20,
            "callerid_type_id": self.env["teleum.callerid.type"], "callerid_number_id": self.env["teleum.number"],
            "record": False, "moh": False, "vpbx": False, "isolated": False,
        })
        for fname, value in vals.items():
            if fname not in values:
                continue
            field = self._fields[fname]
            if field.type == "many2one":
                value = self.env[field.comodel_name].browse(value or [])
                if value:
                    value.check_access("read")
            values[fname] = value
        return values
