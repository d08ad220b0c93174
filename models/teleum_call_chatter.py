"""Calls in the chatter: a compact note per imported call on its lead and, if chosen, its contact.

Called once per imported page from ``teleum.call._after_import`` (``_teleum_post_notes``). Only
calls inside the call-back window are posted, so the first import of months of history posts
nothing old; the notes of a page are stored with one INSERT per model (tools/sql_create.py) and
no notification (a note, not a message: no follower is told, no e-mail is sent). A call whose
recording was listed before it is noted with its "Play the recording" link; each call keeps its
notes, so that a call is never noted twice and a note gets the link when a recording arrives later.
"""

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools.mail import generate_tracking_message_id

from ..tools.columns import select
from ..tools.sql_create import insert_columns, sql_create


class TeleumCall(models.Model):
    _inherit = "teleum.call"

    teleum_note_ids = fields.Many2many(
        "mail.message", "teleum_call_note_rel", "call_id", "message_id", string="Chatter notes",
        readonly=True, copy=False, groups="base.group_system",
        help="The notes this call left in the chatter of its lead and contact.")

    # ------------------------------------------------------------------ posting
    def _teleum_post_notes(self):
        """Post one note per call on its lead (and contact), as the company's setting says."""
        calls = select(self.sudo(), ("partner_id", "lead_id"), lambda partner, lead: partner or lead)
        calls = calls._teleum_recent()
        noted = calls._teleum_noted_ids()  # a call is noted once (a page's new calls: usually none yet)
        if noted:
            calls = select(calls, ("id",), lambda id_: id_ not in noted)
        notes = []  # (record, call)
        for company in calls.company_id:
            mode = company.teleum_chatter_calls
            if not mode or mode == "off":
                continue
            mine = select(calls, ("company_id", "missed"), lambda company_id, missed, company=company, mode=mode:
                          company_id == company.id and (mode != "missed" or missed))
            leads = mine._teleum_note_leads(company)
            for call in mine.sorted("call_date"):
                if call.id in leads:
                    notes.append((leads[call.id], call))
                if mode in ("leads_contacts", "missed") and call.partner_id:
                    notes.append((call.partner_id, call))
        if notes:
            self._teleum_create_notes(notes)
        return True

    def _teleum_noted_ids(self):
        """The ids of these calls that already left a note (one query, not a read of each call's notes)."""
        if not self:
            return set()
        self.env.cr.execute("SELECT DISTINCT call_id FROM teleum_call_note_rel WHERE call_id = ANY(%s)",
                            (list(self.ids),))
        return {call_id for (call_id,) in self.env.cr.fetchall()}

    def _teleum_note_leads(self, company):
        """{call id: crm.lead}: the call's own lead (unknown caller), else the newest open lead or
        opportunity of its contact (or the contact's company), else one with the caller's number."""
        with_lead = select(self, ("lead_id",), bool)
        result = {call.id: call.lead_id for call in with_lead}
        others = select(self, ("lead_id", "partner_id"), lambda lead, partner: not lead and partner)
        if not others:
            return result
        ancestors = {}  # partner id: itself and the companies above it
        for partner in others.partner_id:
            chain, parent = set(), partner
            while parent and parent.id not in chain:
                chain.add(parent.id)
                parent = parent.parent_id
            ancestors[partner.id] = chain
        family = set().union(*ancestors.values())
        keys = [k for k in set(others.mapped("remote_number")) if k]
        leads = self.env["crm.lead"].sudo().search(
            ["|", ("partner_id", "in", list(family)), "|", ("teleum_phone_key", "in", keys),
             ("teleum_mobile_key", "in", keys), ("company_id", "in", [False, company.id])], order="id desc")
        if not leads:
            return result
        for call in others:
            above = ancestors[call.partner_id.id]
            ranked = []
            for lead in leads:
                if lead.partner_id == call.partner_id:
                    match = 0
                elif lead.partner_id.id in above:
                    match = 1
                elif call.remote_number in (lead.teleum_phone_key, lead.teleum_mobile_key):
                    match = 2
                else:
                    continue
                ranked.append((lead.stage_id.is_won, match, -lead.id, lead))
            if ranked:
                result[call.id] = min(ranked, key=lambda r: r[:3])[3]
        return result

    @api.model
    def _teleum_note_lang(self, record):
        """Notes are written in the language of the person who reads them: the record's salesperson."""
        user = record.user_id if "user_id" in record._fields else self.env["res.users"]
        company = record.company_id if "company_id" in record._fields else self.env.company
        return user.lang or company.partner_id.lang or self.env.lang or "en_US"

    @api.model
    def _teleum_create_notes(self, notes):
        """Create the notes [(record, call)] in one go per model, without notifying anyone."""
        subtype = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note")
        bot = self.env.ref("base.partner_root")
        reply_to = {}  # per author: computed once, as _message_log_batch does (else a few queries per note)
        labels = {}  # per language
        by_model = {}
        for record, call in notes:
            author = call.user_id.partner_id or bot
            email_from = author.email_formatted or False
            if author not in reply_to:
                reply_to[author] = self.env["mail.thread"]._notify_get_reply_to(default=email_from)[False]
            lang = self._teleum_note_lang(record)
            if lang not in labels:
                labels[lang] = self.with_context(lang=lang)._teleum_note_labels()
            by_model.setdefault(record._name, []).append((call, {
                "model": record._name,
                "res_id": record.id,
                "body": call._teleum_note_body(labels[lang]),
                "author_id": author.id,
                "email_from": email_from,
                "reply_to": reply_to[author],
                "record_name": False,
                "message_id": generate_tracking_message_id("message-notify"),
                "message_type": "comment",
                "subtype_id": subtype,
                "is_internal": True,
                "date": call.call_date,
                "email_add_signature": False,
            }))
        rows = []
        for model, items in by_model.items():
            messages = self._teleum_insert_messages(model, [vals for _call, vals in items])
            rows += [(call.id, message.id) for (call, _vals), message in zip(items, messages, strict=True)]
        self.env.cr.execute(
            "INSERT INTO teleum_call_note_rel (call_id, message_id) SELECT * FROM unnest(%s::int[], %s::int[])",
            ([r[0] for r in rows], [r[1] for r in rows]))
        self.invalidate_model(["teleum_note_ids"])

    @api.model
    def _teleum_insert_messages(self, model, vals_list):
        """The notes' messages: one INSERT leaving the rows _message_create() leaves (a first
        import of a busy day posts thousands of notes; create() sanitizes each body twice and
        writes field by field), or _message_create() itself when the INSERT cannot be the same."""
        Message = self.env["mail.message"].sudo()
        columns = insert_columns(Message, vals_list)
        if columns is None:
            return self.env[model].sudo()._message_create(vals_list)
        messages = sql_create(Message, vals_list, columns)
        # as mail.message's create() does for the records now holding a new message
        if issubclass(self.pool[model], self.pool["mail.thread"]):
            self.env[model].invalidate_model(["message_ids", "message_needaction", "message_needaction_counter"])
        return messages

    @api.model
    def _teleum_note_labels(self):
        """The words of the notes in the language of the context (read once per language and batch)."""
        env = self.env
        return {
            "titles": {"inbound": env._("Inbound call"), "outbound": env._("Outbound call"),
                       "internal": env._("Internal call")},
            "call": env._("Call"),
            "missed": env._("Missed call"),
            "statuses": dict(self._fields["status"]._description_selection(env)),
            "agent": env._("agent: %(agent)s"),
            "line": env._("SIP line %(line)s"),
            "play": env._("Play the recording"),
            "open": env._("Open the call"),
        }

    def _teleum_note_body(self, labels=None):
        """The note of one call, in the language of the context (or of ``labels``)."""
        self.ensure_one()
        labels = labels or self._teleum_note_labels()
        title = labels["missed"] if self.missed else labels["titles"].get(self.direction, labels["call"])
        hours, rest = divmod(self.duration or 0, 3600)
        duration = "%d:%02d:%02d" % (hours, *divmod(rest, 60)) if hours else "%d:%02d" % divmod(rest, 60)
        details = [duration, labels["statuses"].get(self.status, "")]
        if self.remote_number:
            details.insert(0, "+" + self.remote_number if len(self.remote_number) > 6 else self.remote_number)
        if self.user_id:
            details.append(labels["agent"] % {"agent": self.user_id.name})
        elif self.sip_id:
            details.append(labels["line"] % {"line": self.sip_id.num})
        links = []
        if self.recording_id:
            links.append(Markup('<a href="/teleum/recording/%s" target="_blank">%s</a>') % (self.id, labels["play"]))
        links.append(self._get_html_link(title=labels["open"]))
        return Markup("<p><b>%s</b> · %s<br/>%s</p>") % (
            title, Markup(" · ").join(d for d in details if d), Markup(" · ").join(links))

    def _teleum_refresh_notes(self):
        """The recording arrived after the call was noted: give its notes the player link.

        One UPDATE for all the notes: a first import links tens of thousands of recordings at
        once, and an ORM write per message (access checks, bus updates) cost minutes there."""
        calls = self.sudo().browse(list(self._teleum_noted_ids())).filtered("recording_id")
        records = {}  # (model, id): the noted record, read in one batch per model
        ids_by_model = {}
        for message in calls.teleum_note_ids:
            ids_by_model.setdefault(message.model, set()).add(message.res_id)
        for model, ids in ids_by_model.items():
            records.update({(model, r.id): r for r in self.env[model].sudo().browse(list(ids)).exists()})
        bodies = {}  # message id: body
        rendered = {}  # (call, lang): body
        for call in calls:
            for message in call.teleum_note_ids:
                record = records.get((message.model, message.res_id))
                if record:
                    lang = self._teleum_note_lang(record)
                    if (call.id, lang) not in rendered:
                        rendered[call.id, lang] = call.with_context(lang=lang)._teleum_note_body()
                    bodies[message.id] = rendered[call.id, lang]
        if bodies:
            self.env["mail.message"].flush_model(["body"])
            self.env.cr.execute(
                """UPDATE mail_message m SET body = b.body, write_date = now() AT TIME ZONE 'UTC'
                     FROM unnest(%s::int[], %s::text[]) AS b(id, body) WHERE m.id = b.id""",
                (list(bodies), [str(body) for body in bodies.values()]))
            self.env["mail.message"].invalidate_model(["body"])


class TeleumRecording(models.Model):
    _inherit = "teleum.recording"

    def _link_calls(self):
        res = super()._link_calls()
        self.call_id._teleum_refresh_notes()
        return res
