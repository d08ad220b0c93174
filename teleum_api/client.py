"""The Teleum API v3 client: one typed method per API call.

The HTTP side (sessions, re-login, retries, decoding, redaction) is :mod:`.transport`; the answers
are read by :mod:`.parsers` into the records of :mod:`.records`; paged listings are walked by
:func:`.paging.walk_pages`.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from urllib.parse import urljoin

import requests

from . import parsers as P
from . import records as R
from .convert import DISPOSITION_BY_STATUS, Row, as_text
from .errors import TeleumTransientError, TeleumValidationError
from .paging import walk_pages
from .transport import (
    DEFAULT_URL,
    MAX_BACKOFF,
    USER_AGENT,
    WRITE_METHODS,
    TeleumTransport,
    TimeLimit,
    current_time_limit,
    time_limit,
)

__all__ = ['DEFAULT_URL', 'MAX_BACKOFF', 'USER_AGENT', 'WRITE_METHODS', 'TeleumClient', 'TimeLimit',
           'current_time_limit', 'time_limit']

_logger = logging.getLogger('teleum_api')


class TeleumClient(TeleumTransport):
    """Typed client of the Teleum API v3 (one account); constructor: see :class:`.transport.TeleumTransport`."""

    # ----------------------------------------------------------------- account (login: transport)

    def balance(self) -> R.Balance:
        return self._parse('balance', P.parse_balance, self._request('balance'))

    # ----------------------------------------------------------------- calls and recordings

    @staticmethod
    def _disposition(value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        key = ' '.join(value.split())
        if key.lower() in DISPOSITION_BY_STATUS:
            return DISPOSITION_BY_STATUS[key.lower()]
        if key.upper() in DISPOSITION_BY_STATUS.values():
            return key.upper()
        if key.upper() == 'NOANSWER':
            return 'NO ANSWER'
        raise ValueError(f'unknown disposition filter {value!r}')

    def report_calls(self, year: int, month: int, disposition: str | None = None,
                     start: int = 0, limit: int = 500) -> R.CallPage:
        """One page of the call report.  ``disposition``: 'answered'/'ANSWERED', 'no_answer'…"""
        payload = self._request('reportCalls', {
            'y': int(year), 'm': int(month), 'type': self._disposition(disposition),
            'start': int(start), 'limit': int(limit)})
        return self._parse('reportCalls', P.parse_call_page, payload, self.tz, int(start))

    def iter_call_pages(self, year: int, month: int, disposition: str | None = None,
                        page_size: int = 500, start: int = 0) -> Iterator[R.CallPage]:
        return walk_pages(lambda s: self.report_calls(year, month, disposition, s, page_size),
                          lambda page: page.calls, page_size, start)

    def iter_calls(self, year: int, month: int, disposition: str | None = None,
                   page_size: int = 500, start: int = 0) -> Iterator[R.Call]:
        for page in self.iter_call_pages(year, month, disposition, page_size, start):
            yield from page.calls

    def get_records_list(self, year: int, month: int) -> list[R.Recording]:
        payload = self._request('getRecordsList', {'y': int(year), 'm': int(month)})
        return self._parse('getRecordsList', P.parse_records_list, payload, self.tz)

    def get_record_link(self, file_id: str) -> str:
        """Download link of a recording (absolute; a relative link is resolved on base_url)."""
        payload = self._request('getRecordLink', {'fileid': file_id})
        return urljoin(self.base_url, self._parse('getRecordLink', P.parse_record_link, payload))

    def download(self, url: str, headers: Mapping[str, str] | None = None,
                 stream: bool = True) -> requests.Response:
        """GET a recording link; the caller reads (``iter_content``) and closes the response.

        Retried like a read on transient failures; 4xx (e.g. an expired link) raises
        TeleumValidationError.  Messages never show the link's query string.
        """
        url = urljoin(self.base_url, url)

        def get() -> requests.Response:
            resp = self._http_get(url, None, 'download', stream=stream, headers=headers)
            status = resp.status_code
            if status < 400:
                return resp
            resp.close()
            if status in (408, 425, 429) or status >= 500:
                raise TeleumTransientError(f'The recording server answered HTTP {status}.',
                                           method='download', status=status)
            raise TeleumValidationError(
                f'The recording is not available (HTTP {status}); the link may have expired.',
                method='download', status=status)

        return self._with_retries('download', get, write=False)

    def download_bytes(self, url: str, max_bytes: int | None = None) -> bytes:
        """The whole file behind a recording link, checked against its Content-Length: a transfer
        that breaks off can end without an error, and a half file must not pass for the recording."""
        resp = self.download(url)
        try:
            chunks, size = [], 0
            for chunk in resp.iter_content(64 * 1024):
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise TeleumValidationError(f'The recording is larger than {max_bytes} bytes.',
                                                method='download')
                chunks.append(chunk)
        except requests.RequestException:
            raise TeleumTransientError('The recording download broke off.', method='download') from None
        finally:
            resp.close()
        expected = resp.headers.get('Content-Length')
        if expected and expected.isdigit() and not resp.headers.get('Content-Encoding') and int(expected) != size:
            raise TeleumTransientError(f'The recording download broke off ({size} of {expected} bytes).',
                                       method='download')
        return b''.join(chunks)

    # ----------------------------------------------------------------- numbers and forwards

    def get_connected_numbers(self) -> list[R.Number]:
        return self._parse('getConnectedNumbers', P.parse_connected_numbers,
                           self._request('getConnectedNumbers'))

    def get_rcids(self) -> list[R.CallerIdNumber]:
        return self._parse('getRCIDs', P.parse_rcids, self._request('getRCIDs'))

    def get_forwards_types(self) -> list[R.ForwardType]:
        return self._parse('getForwardsTypes', P.parse_forward_types,
                           self._request('getForwardsTypes'))

    def get_forwards(self, number_id: str | int) -> list[R.Forward]:
        payload = self._request('getForwards', {'numberid': number_id})
        return self._parse('getForwards', P.parse_forwards, payload, str(number_id))

    def get_forward_times(self, forward_id: str | int) -> list[R.ForwardTime]:
        return self._parse('getForwardTimes', P.parse_forward_times,
                           self._request('getForwardTimes', {'id': forward_id}))

    def get_forwards_rcids(self) -> list[R.CallerIdType]:
        return self._parse('getForwardsRCIDs', P.parse_forward_rcids,
                           self._request('getForwardsRCIDs'))

    def _written_id(self, cmd: str, payload: dict, fallback: str | int | None) -> str:
        """The id a write answered with; the id we sent if the answer lacks one (the write
        happened: failing now would only mislead the caller)."""
        try:
            return P.parse_id(payload, cmd)
        except TeleumValidationError:
            if fallback in (None, '', 0, '0'):
                raise
            return str(fallback)

    def edit_forward(self, forward_id: str | int = 0, *, type_id: str | int,
                     number_id: str | int, timeout: int, callerid_type_id: str | int,
                     target: str, callerid_number_id: str | int | None = None,
                     isolated: bool = False, record: bool = False, vpbx: bool = False,
                     moh: bool = False) -> str:
        """Create (``forward_id=0``) or change a forward; returns its id.  Never retried."""
        payload = self._request('editForward', {
            'id': forward_id or 0, 'rtype': type_id, 'nid': number_id, 'timeout': int(timeout),
            'rcid': callerid_type_id, 'rcnid': callerid_number_id, 'isolated': isolated,
            'rec': record, 'vpbx': vpbx, 'moh': moh, 'rnum': target})
        return self._written_id('editForward', payload, forward_id)

    def delete_forward(self, forward_id: str | int) -> str:
        payload = self._request('deleteForward', {'id': forward_id})
        return self._written_id('deleteForward', payload, forward_id)

    def move_forward(self, forward_id: str | int, direction: str) -> str:
        """Move a forward ``'up'`` or ``'down'`` in the order the forwards run."""
        direction = (direction or '').strip().lower()
        if direction not in ('up', 'down'):
            raise ValueError("direction must be 'up' or 'down'")
        payload = self._request('moveForward', {'id': forward_id, 'dir': direction})
        return self._written_id('moveForward', payload, forward_id)

    # ----------------------------------------------------------------- SIP lines

    def get_sips(self) -> list[R.SipLine]:
        return self._parse('getSIPs', P.parse_sips, self._request('getSIPs'))

    def get_next_sip(self) -> str:
        return self._parse('getNextSIP', P.parse_next_sip, self._request('getNextSIP'))

    def edit_sip(self, sip_id: str | int = 0, *, email: str, description: str,
                 callerid: str | int, password: str | None = None) -> tuple[str, str]:
        """Create (``sip_id=0``) or change a SIP line; returns ``(id, num)``.  Never retried."""
        payload = self._request('editSIP', {'id': sip_id or 0, 'email': email,
                                            'descr': description, 'rcid': callerid,
                                            'paswd': password})
        try:
            return P.parse_edit_sip(payload)
        except TeleumValidationError:
            if sip_id in (None, '', 0, '0'):
                raise
            return str(sip_id), as_text(Row(payload, 'editSIP').get('num'), 'num')

    def delete_sip(self, sip_id: str | int) -> str:
        return self._written_id('deleteSIP', self._request('deleteSIP', {'id': sip_id}), sip_id)

    # ----------------------------------------------------------------- tariffs

    def get_tariff_groups(self) -> list[R.TariffGroup]:
        return self._parse('getTariffGroups', P.parse_tariff_groups,
                           self._request('getTariffGroups'))

    def get_tariffs(self, group_id: str | int) -> list[R.Tariff]:
        """Tariffs of a group.

        The page's own example calls this ``cmd=getTariffGroups&tg=…``: if the server refuses
        ``getTariffs``, that spelling is tried once and used only if it answers with tariffs;
        otherwise the original refusal is raised.
        """
        refusal: TeleumValidationError | None = None
        try:
            payload = self._request('getTariffs', {'tg': group_id})
        except TeleumValidationError as exc:
            refusal = exc
        if refusal is None:
            return self._parse('getTariffs', P.parse_tariffs, payload)
        try:
            alt = self._request('getTariffGroups', {'tg': group_id})
        except TeleumValidationError:
            alt = {}
        if not Row(alt, 'getTariffGroups').has('tariffs'):
            raise refusal
        _logger.info('teleum: getTariffs refused, the page\'s getTariffGroups&tg= spelling worked')
        return self._parse('getTariffs', P.parse_tariffs, alt)

    def get_connected_tariffs(self) -> list[R.ConnectedTariff]:
        return self._parse('getConnectedTariffs', P.parse_connected_tariffs,
                           self._request('getConnectedTariffs'), self.tz)

    def connect_tariff(self, tariff_id: str | int, number_id: str | int | None = None
                       ) -> str | None:
        """Connect a tariff (with a number from get_free_numbers if it needs one); returns the
        number id the server reports (or the one sent).  Never retried."""
        payload = self._request('connectTariff', {'tarid': tariff_id, 'numid': number_id})
        numid = self._parse('connectTariff', P.parse_connect_tariff, payload)
        return numid if numid is not None else (None if number_id is None else str(number_id))

    def get_numbers_types(self) -> list[R.NumberType]:
        return self._parse('getNumbersTypes', P.parse_number_types,
                           self._request('getNumbersTypes'))

    def get_free_numbers(self, region_id: str | int, type_id: str | int, start: int = 0,
                         limit: int = 50, serie: str | None = None) -> R.FreeNumbersPage:
        payload = self._request('getFreeNumbers', {'nr': region_id, 'nt': type_id,
                                                   'start': int(start), 'limit': int(limit),
                                                   'serie': serie or None})
        return self._parse('getFreeNumbers', P.parse_free_numbers_page, payload, int(start))

    def iter_free_numbers(self, region_id: str | int, type_id: str | int,
                          serie: str | None = None, page_size: int = 50,
                          start: int = 0) -> Iterator[R.FreeNumber]:
        pages = walk_pages(
            lambda s: self.get_free_numbers(region_id, type_id, s, page_size, serie),
            lambda page: page.numbers, page_size, start)
        for page in pages:
            yield from page.numbers
