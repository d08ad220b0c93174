import pytz

from odoo import api, fields, models

from ..tools.sql_create import insert_columns, set_based_refusal, sql_create


class TeleumRecording(models.Model):
    _name = "teleum.recording"
    _description = "Teleum Call Recording"
    _order = "call_date desc, id desc"
    _check_company_auto = True

    account_id = fields.Many2one("teleum.account", required=True, ondelete="cascade", index=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    file_id = fields.Char("Teleum file ID", required=True, readonly=True)
    call_id = fields.Many2one("teleum.call", index="btree_not_null", readonly=True)
    call_date = fields.Datetime(readonly=True)
    src = fields.Char(readonly=True)
    dst = fields.Char(readonly=True)
    duration = fields.Integer(readonly=True)
    attachment_id = fields.Many2one("ir.attachment", "Copy in Odoo", readonly=True)
    copy_error_date = fields.Datetime("Copy failed on", readonly=True,
                                      help="The last copy attempt failed; it is tried again a day later.")

    _sql_constraints = [
        ("file_uniq", "unique(account_id, file_id)", "A recording is imported once."),
    ]

    @api.depends("file_id", "call_date")
    def _compute_display_name(self):
        for rec in self:
            rec.display_name = rec.file_id

    @api.model
    def _sync_month(self, account, client, month):
        """Import the month's recording list and link each recording to its call."""
        records = client.get_records_list(month.year, month.month)
        if not records:
            return self.browse()
        self.env.cr.execute("SELECT file_id FROM teleum_recording WHERE account_id = %s AND file_id = ANY(%s)",
                            (account.id, [r.file_id for r in records]))
        known = {fid for (fid,) in self.env.cr.fetchall()}
        vals_list = []
        for rec in records:
            if rec.file_id in known or not rec.file_id:
                continue
            known.add(rec.file_id)  # listed twice in one answer: one recording
            vals_list.append({
                "account_id": account.id, "company_id": account.company_id.id, "file_id": rec.file_id,
                "call_date": rec.call_date and rec.call_date.astimezone(pytz.UTC).replace(tzinfo=None),
                "src": rec.src or False, "dst": rec.dst or False, "duration": rec.duration or 0,
            })
        created = self._store(vals_list) if vals_list else self.browse()
        # with the ones an earlier pass could not pair yet (their call came later)
        (created | self.search([("account_id", "=", account.id), ("call_id", "=", False)]))._link_calls()
        return created

    @api.model
    def _store(self, vals_list):
        """create(), or one INSERT leaving the same rows (a first import brings tens of thousands)."""
        columns = insert_columns(self, vals_list)
        return self.create(vals_list) if columns is None else sql_create(self, vals_list, columns)

    @api.model
    def _unpaired(self, account):
        """{(call date, from, to): [recording ids, oldest first]}: the account's recordings still
        waiting for their call. The import gives them to its new calls as it stores them (the
        pairing _link_calls makes afterwards, without writing each call a second time)."""
        self.flush_model(["account_id", "call_id", "call_date", "src", "dst"])
        self.env.cr.execute(
            """SELECT call_date, src, dst, array_agg(id ORDER BY id) FROM teleum_recording
                WHERE account_id = %s AND call_id IS NULL AND call_date IS NOT NULL
                  AND src IS NOT NULL AND dst IS NOT NULL
             GROUP BY call_date, src, dst""", (account.id,))
        return {(date, src, dst): ids for date, src, dst, ids in self.env.cr.fetchall()}

    @api.model
    def _pair_new_calls(self, vals_list, unpaired):
        """Give the values of new calls the recording waiting for them (``unpaired``, consumed)."""
        if not unpaired:
            return
        for vals in vals_list:
            waiting = unpaired.get((vals["call_date"], vals["src"], vals["dst"]))
            if waiting:
                vals["recording_id"] = waiting.pop(0)

    @api.model
    def _set_paired_calls(self, vals_list, calls):
        """The recordings given to new calls (``calls``, made of ``vals_list``) point back at their call."""
        pairs = [(vals["recording_id"], call_id) for vals, call_id in zip(vals_list, calls.ids, strict=True)
                 if vals.get("recording_id")]
        if pairs:
            self.flush_model(["call_id"])
            self._point_at_calls([p[0] for p in pairs], [p[1] for p in pairs])

    def _point_at_calls(self, rec_ids, call_ids):
        """Each recording of ``rec_ids`` belongs to the call at the same place in ``call_ids``: one
        UPDATE, or a write() each when anything else watches recordings (set_based_refusal)."""
        if set_based_refusal(self):
            Recording = self.sudo()
            for rec_id, call_id in zip(rec_ids, call_ids, strict=True):
                Recording.browse(rec_id).write({"call_id": call_id})
            return
        self.env.cr.execute(
            """UPDATE teleum_recording r SET call_id = p.cid, write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'
                 FROM unnest(%(rids)s::int[], %(cids)s::int[]) AS p(rid, cid) WHERE r.id = p.rid""",
            {"rids": rec_ids, "cids": call_ids, "uid": self.env.uid},
        )
        self.invalidate_model(["call_id"], flush=False)

    def _link_calls(self):
        """Pair these recordings with their calls; the calls' chatter notes get the player link."""
        self._pair_with_calls()
        self.call_id._teleum_refresh_notes()

    def _pair_with_calls(self):
        """A recording belongs to the call with the same date and numbers (identical calls are
        paired in order). Set-based: one query pairs a whole month, two updates store it."""
        if not self:
            return
        # has_recording too: a computation still pending for calls created in this transaction
        # would otherwise run after the UPDATE below and write False over it
        self.env["teleum.call"].flush_model(["account_id", "call_date", "src", "dst", "recording_id", "occurrence",
                                             "has_recording"])
        self.flush_recordset(["account_id", "call_date", "src", "dst", "call_id"])
        # no call waiting in their dates (a first import reads the recordings before the calls):
        # nothing to pair, without ranking every recording of the month
        self.env.cr.execute(
            """SELECT EXISTS (SELECT 1 FROM teleum_call c, (
                   SELECT array_agg(DISTINCT account_id) AS accounts, min(call_date) AS first, max(call_date) AS last
                     FROM teleum_recording WHERE id = ANY(%s) AND call_id IS NULL) r
                WHERE c.call_date BETWEEN r.first AND r.last AND c.account_id = ANY(r.accounts)
                  AND c.recording_id IS NULL)""", (self.ids,))
        if not self.env.cr.fetchone()[0]:
            return
        self.env.cr.execute(
            """
            WITH rec AS (
                SELECT id, account_id, call_date, src, dst,
                       row_number() OVER (PARTITION BY account_id, call_date, src, dst ORDER BY id) AS n
                  FROM teleum_recording
                 WHERE id = ANY(%(ids)s) AND call_id IS NULL
            ), candidate AS (
                SELECT c.id, c.account_id, c.call_date, c.src, c.dst,
                       row_number() OVER (PARTITION BY c.account_id, c.call_date, c.src, c.dst
                                          ORDER BY c.occurrence, c.id) AS n
                  FROM teleum_call c
                 WHERE c.recording_id IS NULL
                   AND c.account_id IN (SELECT account_id FROM rec)
                   AND c.call_date IN (SELECT call_date FROM rec)
                   AND (c.account_id, c.call_date, c.src, c.dst) IN (SELECT account_id, call_date, src, dst FROM rec)
            )
            SELECT rec.id, candidate.id
              FROM rec JOIN candidate USING (account_id, call_date, src, dst, n)
            """,
            {"ids": self.ids},
        )
        pairs = self.env.cr.fetchall()
        if not pairs:
            return
        rec_ids, call_ids = [p[0] for p in pairs], [p[1] for p in pairs]
        Call = self.env["teleum.call"].sudo()
        if set_based_refusal(Call):  # another module or an automation rule sees each call change
            for rec_id, call_id in pairs:
                Call.browse(call_id).write({"recording_id": rec_id})
            self._point_at_calls(rec_ids, call_ids)
            return
        self.env.cr.execute(
            """UPDATE teleum_call c SET recording_id = p.rid, has_recording = true,
                      write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'
                 FROM unnest(%(rids)s::int[], %(cids)s::int[]) AS p(rid, cid) WHERE c.id = p.cid""",
            {"rids": rec_ids, "cids": call_ids, "uid": self.env.uid},
        )
        self._point_at_calls(rec_ids, call_ids)
        self.env["teleum.call"].invalidate_model(["recording_id", "has_recording", "recording_url"], flush=False)

    def unlink(self):
        # the database empties the calls' recording_id by itself (ON DELETE SET NULL), which the
        # ORM does not see: unlink through the ORM so that has_recording follows
        self.env["teleum.call"].sudo().search([("recording_id", "in", self.ids)]).recording_id = False
        return super().unlink()
