"""Copies of the recordings kept in Odoo, for longer than Teleum keeps them."""

import base64
import logging
from datetime import timedelta

from odoo import api, fields, models

from ..teleum_api import TeleumError

_logger = logging.getLogger(__name__)

# Recordings copied per account and cron run (each is a download from Teleum).
RECORDING_BATCH = 50
# Size cap of one recording read into memory (a 2-hour mono MP3 at 32 kbit/s is ~30 MB).
MAX_RECORDING_BYTES = 200 * 1024 * 1024
COPY_RETRY = timedelta(days=1)


class TeleumAccount(models.Model):
    _inherit = "teleum.account"

    keep_recordings = fields.Boolean(
        "Keep copies of recordings",
        help="Download every recording into Odoo as an attachment, so that it stays playable after "
             "Teleum deletes it.",
    )
    recording_retention_days = fields.Integer(
        "Keep copies for (days)", default=365,
        help="Odoo deletes its copy of a recording this many days after the call (0: keep forever).",
    )

    @api.model
    def _cron_recordings(self):
        """Copy new recordings of the accounts that keep them; delete the copies past retention."""
        cron = self.env["ir.cron"]
        accounts = self.search([])  # pylint: disable=no-search-all  # a handful of accounts per database
        remaining = 0
        for account in accounts:
            if account._is_neutralized():
                break
            try:
                account._purge_recording_copies()
                if account.keep_recordings and not account.needs_human:
                    remaining += account._copy_recordings(RECORDING_BATCH)
                account._commit()
            except Exception:  # one account's failure must not block the others
                _logger.exception("Teleum recordings of account %s: copy failed", account.id)
                if self._auto_commit():
                    self.env.cr.rollback()
        cron._notify_progress(done=len(accounts), remaining=remaining)
        return True

    def _recordings_to_copy(self):
        self.ensure_one()
        domain = [("account_id", "=", self.id), ("attachment_id", "=", False),
                  # a recording that failed is tried again a day later, not at every run ahead of the others
                  "|", ("copy_error_date", "=", False), ("copy_error_date", "<", fields.Datetime.now() - COPY_RETRY)]
        if self.recording_retention_days > 0:
            domain.append(("call_date", ">=", fields.Datetime.now() - timedelta(days=self.recording_retention_days)))
        return self.env["teleum.recording"].sudo().search(domain, order="call_date desc, id desc")

    def _copy_recordings(self, limit):
        """Download up to ``limit`` recordings; returns how many are still waiting."""
        self.ensure_one()
        todo = self._recordings_to_copy()
        client = self._get_client()
        for recording in todo[:limit]:
            try:
                data = self._download_recording(client, recording.file_id)
            except TeleumError as exc:
                _logger.warning("Teleum recording %s of account %s not copied: %s",
                                recording.file_id, self.id, exc)
                recording.copy_error_date = fields.Datetime.now()
                continue
            recording.attachment_id = self.env["ir.attachment"].sudo().create({
                "name": "%s.mp3" % recording.file_id,
                "res_model": "teleum.recording",
                "res_id": recording.id,
                "company_id": self.company_id.id,
                "mimetype": "audio/mpeg",
                "datas": base64.b64encode(data),
            })
            self._commit()
        return max(len(todo) - limit, 0)

    @api.model
    def _download_recording(self, client, file_id):
        return client.download_bytes(client.get_record_link(file_id), max_bytes=MAX_RECORDING_BYTES)

    def _purge_recording_copies(self):
        self.ensure_one()
        if self.recording_retention_days <= 0:
            return
        limit = fields.Datetime.now() - timedelta(days=self.recording_retention_days)
        old = self.env["teleum.recording"].sudo().search([
            ("account_id", "=", self.id), ("attachment_id", "!=", False), ("call_date", "<", limit),
        ])
        if old:
            attachments = old.attachment_id
            old.attachment_id = False
            attachments.unlink()
            _logger.info("Teleum account %s: %d recording copies past retention deleted", self.id, len(old))
