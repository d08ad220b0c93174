import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..teleum_api import TeleumError, TeleumTransientError
from ..tools import bare_email
from ..tools.sql_create import set_based_refusal

_logger = logging.getLogger(__name__)

# Fields a user sets that go to Teleum (editSIP); user_id is Odoo's own.
TELEUM_FIELDS = frozenset({"email", "description", "callerid", "callerid_number_id", "new_password"})
# A line whose new user takes over more calls than this gets them in the background (cron).
ATTRIBUTION_INLINE_LIMIT = 5000
ATTRIBUTION_BATCH = 20000
WEAK_PASSWORDS = frozenset({"password1", "qwerty123", "12345678a", "a12345678", "passw0rd", "password123",
                            "1q2w3e4r", "1qaz2wsx", "qwerty12", "abc12345", "admin123", "teleum123"})


class TeleumSip(models.Model):
    _name = "teleum.sip"
    _inherit = ["teleum.binding.mixin", "teleum.write.through.mixin", "mail.thread"]
    _description = "Teleum SIP Line"
    _teleum_fields = TELEUM_FIELDS
    _teleum_locked_fields = ("num", "teleum_id", "is_default", "online", "status", "user_agent", "active",
                             "account_id")
    _order = "num"
    _rec_name = "num"

    num = fields.Char("Line number", required=True, index=True, tracking=True)
    # a colleague's address is not every salesperson's business
    email = fields.Char("E-mail", tracking=True, groups="teleum_telephony.group_teleum_manager")
    description = fields.Char(tracking=True)
    callerid = fields.Char("Caller ID", tracking=True)
    is_default = fields.Boolean("Default line", readonly=True)
    online = fields.Boolean(readonly=True)
    status = fields.Char(readonly=True)
    user_agent = fields.Char(readonly=True)
    user_id = fields.Many2one("res.users", "Odoo user", index=True, tracking=True,
                              help="Who works on this line: their calls and missed calls go to them.")
    calls_user_id = fields.Many2one(
        "res.users", "Calls attributed to", readonly=True, copy=False,
        help="Technical: whom the line's calls were last given to; differs from the Odoo user while the "
             "calls are being attributed again in the background.")
    forward_ids = fields.One2many("teleum.forward", "sip_id", string="Forwards to this line")
    account_id = fields.Many2one(default=lambda self: self.env["teleum.account"].search(
        [("company_id", "=", self.env.company.id)], limit=1))
    callerid_number_id = fields.Many2one(
        "teleum.number", "Caller ID number", compute="_compute_callerid_number_id", store=True, readonly=False,
        check_company=True, help="The number this line presents when it calls out.")
    # Write-only: what is typed here is sent to Teleum on save and never stored nor read back.
    new_password = fields.Char(
        "New password", compute="_compute_new_password", inverse="_inverse_new_password", store=False,
        copy=False, groups="teleum_telephony.group_teleum_manager",
        help="Sent to Teleum when you save; Odoo does not keep it. At least 10 characters with letters "
             "and digits.")

    @api.depends("callerid", "account_id")
    def _compute_callerid_number_id(self):
        # one query for the whole batch, like teleum.connected.tariff._compute_number_id
        wanted = {c for c in self.mapped("callerid") if c and c != "0"}
        numbers = self.env["teleum.number"].search(
            [("account_id", "in", self.account_id.ids), ("teleum_id", "in", list(wanted))]) if wanted else []
        by_key = {}
        for number in reversed(numbers):  # the first in search order wins, as search(limit=1) did
            by_key[(number.account_id.id, number.teleum_id)] = number
        for rec in self:
            rec.callerid_number_id = by_key.get((rec.account_id.id, rec.callerid), False)

    def _compute_new_password(self):
        for rec in self:
            rec.new_password = False

    def _inverse_new_password(self):
        # create/write send the password themselves (and pop it from the values): nothing to store
        return

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        if "num" in fields_list and not res.get("num") and not self.env.context.get("teleum_sync"):
            account = self.env["teleum.account"].browse(res.get("account_id"))
            if account and not account._is_neutralized():
                try:
                    # a person waits on this form: a few seconds at most, no retry
                    res["num"] = account._get_client(quick=True).get_next_sip()
                except (TeleumError, UserError) as exc:
                    # the proposal is a courtesy: Teleum assigns the number anyway when the line is saved
                    _logger.debug("No next SIP number proposed: %s", exc)
                    self.env.user._bus_send("simple_notification", {
                        "type": "warning", "title": _("No line number proposed"),
                        "message": _("Teleum did not answer in time with the next free line number. "
                                     "Teleum gives the new line its number when you save it.")})
        return res

    # ------------------------------------------------------------------ write side
    @api.model
    def _teleum_check_password(self, password, email=None, num=None):
        if not isinstance(password, str) or len(password) < 10:
            raise ValidationError(_("The SIP password must be at least 10 characters long."))
        if any(c.isspace() for c in password):
            raise ValidationError(_("The SIP password must not contain spaces."))
        if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
            raise ValidationError(_("The SIP password must contain both letters and digits."))
        lowered = password.lower()
        local = (email or "").split("@")[0].lower()
        if (lowered in WEAK_PASSWORDS or len(set(lowered)) < 5 or (local and len(local) >= 3 and local in lowered)
                or (num and str(num) in lowered and len(password) - len(str(num)) < 8)):
            raise ValidationError(_("This SIP password is too easy to guess: avoid common passwords, the "
                                    "e-mail and the line number, and use at least 5 different characters."))
        return password

    @api.model
    def _teleum_check_values(self, account, values):
        """Validate the complete line ``values``; return editSIP's arguments (no password)."""
        email = (values["email"] or "").strip()
        if email:
            normalized = bare_email(email)
            if not normalized:
                raise ValidationError(_("%(email)s is not a valid e-mail address.", email=email))
            email = normalized
        description = (values["description"] or "").strip()
        if len(description) > 255:
            raise ValidationError(_("The description of a SIP line is limited to 255 characters."))
        number = values["callerid_number_id"]
        if number:
            if number.account_id != account:
                raise ValidationError(_("The caller ID number must be a number of the same Teleum account."))
            if not number.teleum_id:
                raise ValidationError(_("Teleum has not given an id to %(number)s yet.",
                                        number=number.display_name))
        return {"email": email, "description": description, "callerid": number.teleum_id if number else 0}

    def _teleum_values(self, vals, base=None):
        values = dict(base or {"email": False, "description": False,
                               "callerid_number_id": self.env["teleum.number"]})
        for key in ("email", "description"):
            if key in vals:
                values[key] = vals[key]
        if "callerid_number_id" in vals:
            values["callerid_number_id"] = self.env["teleum.number"].browse(vals["callerid_number_id"] or [])
        elif "callerid" in vals:
            values["callerid_number_id"] = self.env["teleum.number"].search(
                [("teleum_id", "=", vals["callerid"] or "-"), ("account_id", "=", self.account_id.id)], limit=1)
        if values["callerid_number_id"]:
            values["callerid_number_id"].check_access("read")
        return values

    # -- write-through hooks (teleum.write.through.mixin) ------------------------
    @api.model
    def _teleum_read_live(self, client, account):
        return client.get_sips()

    @api.model
    def _teleum_lost_reply_hint(self, account):
        return _("Sync the account later to see what Teleum has.")

    def _teleum_locked_message(self, field_label):
        return _("%(field)s of a SIP line is set by Teleum and cannot be changed here.", field=field_label)

    def _teleum_locked_unchanged(self, fname, value):
        return fname == "num" and all(r.num == value for r in self)

    @api.model
    def _teleum_create(self, vals):
        account = self.env["teleum.account"].browse(vals.get("account_id") or self._fields["account_id"].default(self))
        if not account:
            raise ValidationError(_("Choose the Teleum account of the new SIP line."))
        account.check_access("read")
        values = self._teleum_values(vals)
        args = self._teleum_check_values(account, values)
        password = vals.get("new_password")
        if not password:
            raise ValidationError(_("Enter a password for the new SIP line."))
        self._teleum_check_password(password, args["email"])
        client = account._get_client()
        known = {s.id for s in self._teleum_read_current(client, account, account)}
        try:
            sid, num = client.edit_sip(0, password=password, **args)
        except TeleumTransientError:
            new = [s for s in self._teleum_reread_after_loss(client, account, account)
                   if s.id not in known and (s.email or "") == args["email"]]
            if not new:
                raise UserError(_("Teleum did not confirm the new SIP line and does not list it: it was not "
                                  "created (and not sent again). Try again.")) from None
            sid = new[-1].id
        except TeleumError as exc:
            raise UserError(account._error_text(exc)) from None
        self._sync_from_teleum(account, client)
        rec = self.search([("account_id", "=", account.id), ("teleum_id", "=", sid)], limit=1)
        if not rec:
            raise UserError(_("Teleum created the SIP line (id %(id)s) but does not list it.", id=sid))
        if vals.get("user_id"):
            rec.with_context(teleum_sync=True).write({"user_id": vals["user_id"]})
        rec._message_log(body=_("SIP line %(num)s created on Teleum.", num=rec.num))
        self._teleum_confirm(_("SIP line %(num)s created on Teleum.", num=rec.num))
        return self.browse(rec.id)

    def write(self, vals):
        res = super().write(vals)
        # the mechanism writes Odoo's own fields (user_id) with the sync context: the calls follow the user
        if self._teleum_is_sync() and "user_id" in vals:
            self._teleum_attribute_calls()
        return res

    def _teleum_edit(self, vals):
        self.ensure_one()
        account = self.account_id
        values = self._teleum_values(vals, {"email": self.email, "description": self.description,
                                            "callerid_number_id": self.callerid_number_id})
        args = self._teleum_check_values(account, values)
        password = vals.get("new_password") or None
        if password:
            self._teleum_check_password(password, args["email"], self.num)
        client = account._get_client()
        fresh = {s.id: s for s in self._teleum_read_current(client, account, account)}
        now = fresh.get(self.teleum_id)
        if now is None:
            raise UserError(_("The SIP line %(num)s was deleted on Teleum meanwhile. Nothing was sent.",
                              num=self.num))
        theirs = ((now.email or "").strip().lower(), (now.description or "").strip(),
                  now.callerid if now.callerid not in ("", "0", None) else "")
        ours = ((self.email or "").strip().lower(), (self.description or "").strip(),
                self.callerid if self.callerid not in ("0", False) else "")
        if theirs != ours:
            raise UserError(_("The SIP line %(num)s was changed by someone else meanwhile. Nothing was sent: "
                              "reload (or sync the account) and make your change again.", num=self.num))
        try:
            client.edit_sip(self.teleum_id, password=password, **args)
        except TeleumTransientError:
            now = {s.id: s for s in self._teleum_reread_after_loss(client, account, account)}.get(self.teleum_id)
            if not now or (now.email or "") != args["email"] or (now.description or "") != args["description"]:
                raise UserError(_("Teleum did not confirm the change of SIP line %(num)s. Nothing was sent "
                                  "again; check the line and try again.", num=self.num)) from None
        except TeleumError as exc:
            raise UserError(account._error_text(exc)) from None
        self._sync_from_teleum(account, client)
        what = [self._fields[f]._description_string(self.env) for f in vals
                if f in self._fields and f != "new_password"]
        if password:
            what.append(_("password"))
        text = _("SIP line %(num)s changed on Teleum: %(fields)s.", num=self.num, fields=", ".join(what))
        self._message_log(body=text)
        self._teleum_confirm(text)

    def _teleum_check_deletable(self):
        """Before anything is sent: a line that forwards still ring needs the confirmation wizard."""
        if self.env.context.get("teleum_sip_delete_confirmed"):
            return
        for rec in self:
            if rec.forward_ids:
                raise UserError(rec._teleum_delete_warning())

    def _teleum_delete_warning(self):
        self.ensure_one()
        lines = "\n".join("- %s: %s" % (f.number_id.display_name, f.display_name) for f in self.forward_ids)
        return _("These forwards still ring SIP line %(num)s:\n%(forwards)s\nAfter the deletion they point at "
                 "a line that no longer exists. Use 'Delete line' to confirm.", num=self.num, forwards=lines)

    def _teleum_delete(self):
        self.ensure_one()
        account = self.account_id
        client = account._get_client()
        try:
            client.delete_sip(self.teleum_id)
        except TeleumTransientError:
            if self.teleum_id in {s.id for s in self._teleum_reread_after_loss(client, account, account)}:
                raise UserError(_("Teleum did not confirm the deletion of SIP line %(num)s and still lists it. "
                                  "Nothing was sent again; try again.", num=self.num)) from None
        except TeleumError as exc:
            raise UserError(account._error_text(exc)) from None
        account._message_log(body=_("SIP line %(num)s deleted on Teleum.", num=self.num))
        self._teleum_confirm(_("SIP line %(num)s deleted on Teleum.", num=self.num))
        self._sync_from_teleum(account, client)

    def action_delete_line(self):
        """Open the confirmation that names the forwards still pointing at this line."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "res_model": "teleum.sip.delete.wizard", "view_mode": "form",
            "target": "new", "context": {"default_sip_id": self.id},
        }

    @api.depends("num", "description")
    def _compute_display_name(self):
        for rec in self:
            rec.display_name = f"{rec.num} ({rec.description})" if rec.description else (rec.num or _("New line"))

    @api.model
    def _sync_from_teleum(self, account, client):
        items = {
            sip.id: {"num": sip.num, "email": sip.email or False, "description": sip.description or False,
                     "callerid": sip.callerid or False, "is_default": sip.is_default, "online": sip.online,
                     "status": sip.status or False, "user_agent": sip.user_agent or False}
            for sip in client.get_sips()
        }
        result = self._bind(account, items)
        self.browse([r.id for r in result.values()]).filtered(lambda s: not s.user_id)._propose_users()
        return result

    def _propose_users(self):
        """Link a line to the Odoo user whose login or e-mail is the line's e-mail."""
        emails = {(s.email or "").strip().lower() for s in self if s.email}
        if not emails:
            return
        users = self.env["res.users"].search(["|", ("login", "in", list(emails)), ("email", "in", list(emails))])
        by_email = {}
        for user in users:
            for key in (user.login, user.email):
                if key:
                    by_email.setdefault(key.strip().lower(), user)
        for sip in self:
            user = by_email.get((sip.email or "").strip().lower())
            if user and sip.company_id in user.company_ids:
                sip.user_id = user

    # ------------------------------------------------------------------ agents
    # A line's calls follow its user: the calls with no agent or with the line's previous user go
    # to the new one (calls imported before the line had a user, a line handed over). A call a
    # manager gave to someone else keeps its agent; a line left without user leaves its calls as
    # they are.
    def _attributable_sql(self):
        return SQL("""FROM teleum_call c JOIN teleum_sip s ON s.id = c.sip_id
                      WHERE s.id = ANY(%s) AND s.user_id IS NOT NULL AND s.user_id IS DISTINCT FROM s.calls_user_id
                        AND (c.user_id IS NULL OR c.user_id = s.calls_user_id)""", self.ids)

    def _teleum_attribute_calls(self):
        """Attribute the lines' calls to their (new) user: now, or in the background for a long history."""
        lines = self.filtered(lambda s: s.user_id != s.calls_user_id)
        if not lines:
            return
        self.env["teleum.call"].flush_model(["sip_id", "user_id"])
        lines.flush_recordset(["user_id", "calls_user_id"])
        self.env.cr.execute(SQL("SELECT count(*) %s", lines._attributable_sql()))
        if self.env.cr.fetchone()[0] > ATTRIBUTION_INLINE_LIMIT:
            self.env.ref("teleum_telephony.ir_cron_teleum_attribute_calls")._trigger()
            return
        lines._teleum_attribute_batch(None)

    def _teleum_attribute_batch(self, limit):
        """Give at most ``limit`` calls (None: all) to their lines' users, in one UPDATE unless
        something else watches calls; lines whose calls are all given are marked done. Returns how
        many calls were given."""
        Call = self.env["teleum.call"].sudo()
        Call.flush_model(["sip_id", "user_id"])
        self.flush_recordset(["user_id", "calls_user_id"])
        if set_based_refusal(Call):
            # another module or an automation rule sees each call change: write() per line
            self.env.cr.execute(SQL("SELECT c.id, s.user_id %s LIMIT %s", self._attributable_sql(), limit))
            by_user = {}
            for call_id, user_id in self.env.cr.fetchall():
                by_user.setdefault(user_id, []).append(call_id)
            for user_id, call_ids in by_user.items():
                Call.browse(call_ids).write({"user_id": user_id})
            Call.flush_model(["user_id"])
            done = sum(len(ids) for ids in by_user.values())
        else:
            done = self._teleum_attribute_sql(limit)
        if limit is None or done < limit:
            for line in self:
                line.with_context(teleum_sync=True).calls_user_id = line.user_id
        if done:
            _logger.info("Teleum SIP lines %s: %d calls given to the lines' users", self.ids, done)
        return done

    def _teleum_attribute_sql(self, limit):
        self.env.cr.execute(SQL(
            """UPDATE teleum_call c SET user_id = s.user_id, write_uid = %s, write_date = now() AT TIME ZONE 'UTC'
                 FROM teleum_sip s
                WHERE s.id = c.sip_id AND c.id IN (SELECT c.id %s LIMIT %s)""",
            self.env.uid, self._attributable_sql(), limit,
        ))
        done = self.env.cr.rowcount
        self.env["teleum.call"].invalidate_model(["user_id"], flush=False)
        return done

    @api.model
    def _cron_attribute_calls(self):
        """Background part of _teleum_attribute_calls: one batch per run, re-run while calls remain."""
        self.env.cr.execute("SELECT id FROM teleum_sip WHERE user_id IS DISTINCT FROM calls_user_id")
        lines = self.with_context(active_test=False).browse([r[0] for r in self.env.cr.fetchall()])
        done = lines._teleum_attribute_batch(ATTRIBUTION_BATCH) if lines else 0
        remaining = 0
        if lines:
            self.env.cr.execute(SQL("SELECT count(*) %s", lines._attributable_sql()))
            remaining = self.env.cr.fetchone()[0]
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return True
