"""Recordings played inside Odoo.

The browser only ever sees ``/teleum/recording/<call id>``. The controller checks the user's
right to read that call *before* anything else (no request to Teleum for a user who may not
hear it), then serves Odoo's own copy when there is one, or asks Teleum for a fresh link (they
expire) and streams the audio through, Range requests included so that the player can seek.
Teleum's link and session token never leave the server; the route never redirects.
"""

import logging
import re

import pytz
from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import content_disposition, request

from ..teleum_api import TeleumError
from ..tools import format_phone

_logger = logging.getLogger(__name__)

CHUNK = 64 * 1024
_RANGE_RE = re.compile(r"^bytes=\d*-\d*(,\s*\d*-\d*)*$")
# Upstream headers passed through to the browser (nothing that could name Teleum's server).
_PASS_HEADERS = ("Content-Length", "Content-Range")


class TeleumRecordingController(http.Controller):
    @http.route("/teleum/recording/<int:call_id>", type="http", auth="user", methods=["GET", "HEAD"],
                readonly=True)
    def teleum_recording(self, call_id, download=None, **kwargs):
        recording = self._teleum_checked_recording(call_id)
        if recording.attachment_id:
            response = self._teleum_serve_attachment(recording)
        else:
            response = self._teleum_stream(recording)
        if response.status_code in (200, 206):
            # saved as <date>_<number>.mp3 (the player's menu, or ?download=1)
            name = self._teleum_filename(recording.call_id)
            response.headers["Content-Disposition"] = (
                content_disposition(name) if download else 'inline; filename="%s"' % name)
        return response

    @staticmethod
    def _teleum_filename(call):
        """'2026-03-02_10-05_89161234567.mp3': the call's local date and time, then the other party."""
        call = call.sudo()
        tz = pytz.timezone(call.account_id.timezone or "Europe/Moscow")
        when = pytz.utc.localize(call.call_date).astimezone(tz).strftime("%Y-%m-%d_%H-%M") if call.call_date else ""
        number = re.sub(r"\D", "", format_phone(call.remote_number) or call.src or "")
        return "%s.mp3" % "_".join(part for part in (when, number) if part) or "recording.mp3"

    # ------------------------------------------------------------------ helpers
    def _teleum_checked_recording(self, call_id):
        """The recording of the call, if (and only if) the current user may read the call."""
        call = request.env["teleum.call"].browse(call_id)
        try:
            call.check_access("read")
            recording = call.recording_id
            if not recording:
                raise NotFound()
            recording.check_access("read")
        except (AccessError, MissingError):
            raise NotFound() from None
        return recording.sudo()

    def _teleum_headers(self, response):
        response.headers["Accept-Ranges"] = "bytes"
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Disposition"] = "inline"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    def _teleum_serve_attachment(self, recording):
        stream = request.env["ir.binary"]._get_stream_from(
            recording.attachment_id, "raw", mimetype="audio/mpeg", default_mimetype="audio/mpeg")
        response = stream.get_response(as_attachment=False)
        response.mimetype = "audio/mpeg"
        return self._teleum_headers(response)

    def _teleum_stream(self, recording):
        account = recording.account_id
        range_header = request.httprequest.headers.get("Range")
        if range_header and not _RANGE_RE.match(range_header.strip()):
            range_header = None  # a malformed Range is ignored, as RFC 9110 allows
        headers = {"Range": range_header} if range_header else None
        try:
            client = account._get_client()
            link = client.get_record_link(recording.file_id)
            upstream = client.download(link, headers=headers)
        except UserError:
            raise NotFound() from None
        except TeleumError as exc:
            status = getattr(exc, "status", None)
            if status == 416:
                return self._teleum_headers(request.make_response(
                    b"", status=416, headers=[("Content-Type", "audio/mpeg")]))
            _logger.info("Recording of call %s not available from Teleum: %s", recording.call_id.id, exc)
            if exc.code in ("validation", "error"):
                raise NotFound() from None
            return request.make_response(
                "The recording server cannot be reached, try again later.", status=502,
                headers=[("Content-Type", "text/plain; charset=utf-8")])
        except Exception:  # never show an upstream URL in an error page
            _logger.exception("Recording of call %s could not be fetched", recording.call_id.id)
            return request.make_response("The recording could not be fetched.", status=502,
                                         headers=[("Content-Type", "text/plain; charset=utf-8")])

        if upstream.status_code == 206 or not range_header:
            # The upstream answered the Range itself (or there was none): stream it through.
            response = http.Response(
                self._teleum_iter(upstream, request.httprequest.method == "HEAD"),
                status=upstream.status_code, mimetype="audio/mpeg",
                direct_passthrough=True,
            )
            for name in _PASS_HEADERS:
                if upstream.headers.get(name):
                    response.headers[name] = upstream.headers[name]
            return self._teleum_headers(response)
        # The upstream ignored the Range: read the (small) file and answer the Range here.
        try:
            data = upstream.content
        finally:
            upstream.close()
        response = http.Response(data, status=200, mimetype="audio/mpeg")
        response.make_conditional(request.httprequest, accept_ranges=True, complete_length=len(data))
        return self._teleum_headers(response)

    @staticmethod
    def _teleum_iter(upstream, head=False):
        try:
            if head:
                return
            yield from upstream.iter_content(CHUNK)
        finally:
            upstream.close()
