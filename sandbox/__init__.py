"""Teleum sandbox: a stateful fake of the Teleum virtual-PBX API v3, served over real HTTP.

Pure Python (stdlib + werkzeug, no Odoo), so the client, the addon, the demo and the benchmarks
can all talk to it like to ``http://bill.tech.teleum.com/api/v3/``::

    from sandbox import TeleumSandbox            # odoo.addons.teleum_telephony.sandbox in Odoo
    with TeleumSandbox(seed=1, months=3, calls_per_month=200) as sb:
        requests.get(sb.url, params={"cmd": "login", "email": "demo@example.com", "paswd": "989864"})

    python -m sandbox --port 8070 --seed 1      # standalone, from the repo root

Accounts: demo@example.com / 989864 (contract 00000001, vivaid 1, balance 1500.00, numbers
78123232323, 74951234567, 78005553535, SIP lines 101-103) and second@example.com / second-pass-2
(00000002, vivaid 2, balance 75.50, two seeded numbers, lines 101-102). All data derive from
``seed`` (the calls lazily, per account and month); the free-number pool is shared by accounts.

Wire format, on purpose as inconsistent as the provider's page (``teleum-api-v3.ru.txt``):

* Every method is a GET on ``/api/v3/`` named by ``cmd``. JSON is written like PHP does it
  (``\\uXXXX`` escapes, ``\\/``). Business errors: HTTP 200 ``{"err":1,"errmsg":"…"}`` (Russian
  text), also for a wrong login and an unknown ``cmd``. Successful answers carry no ``err`` key,
  except the mutating methods (editForward, deleteForward, moveForward, editSIP, deleteSIP,
  connectTariff), which add ``"err":0``. getRecordLink alone uses ``error`` (int) / ``errormsg``.
* Sessions: ``login`` gives a 32-hex token; every other method needs ``token`` and the matching
  ``vivaid``. ``session_ttl`` seconds (900) of inactivity end a session. Unknown, expired or
  mismatching token/vivaid -> ``{"err":1,"errmsg":"SESSION ENDED"}`` with HTTP 401
  (``session_error_style='http401'``) or HTTP 200 (``'body'``).
* Strings vs ints, fixed per method (S = string, I = int; ``vivaid`` first):

  ============================  ================================================================
  login                         vivaid I, account S, token S
  balance                       vivaid S; ``contract`` (not ``account``) S, balance S "1500.00"
  reportCalls                   vivaid S, counts I; rows all S (billsec "mm:ss", billsecu "105")
  getRecordsList                vivaid I; rows all S, id "1437124355.232", no ``rdr``
  getRecordLink                 vivaid S, link S, error I
  getConnectedNumbers           vivaid S; rows keyed ``" number "``/``" numberform "``, no id
  getRCIDs                      vivaid I; id S (the number ids used by getForwards, editForward…)
  getForwardsTypes              vivaid I; id I (1 SIP, 2 Телефон, 3 Автоответчик, 4 Факс)
  getForwards                   vivaid S, number I; rows all S, flags "0"/"1", dowjs2 is a JSON
                                *string*, rcnid S or null, times "Понедельник-Пятница 09:00-18:00"
                                (windows joined by "; ")
  getForwardTimes               vivaid I, id S; window id I, days S, times "HH:MM:SS"
  editForward                   vivaid S, id I  |  deleteForward, moveForward: id S (echo)
  getForwardsRCIDs              vivaid I, number S (echo of numberid, else "0"); id S
                                (1 вызывающего, 2 групповой, 3 свой)
  getSIPs                       vivaid S, id S (the default line), array under ``spis``, all S
  getNextSIP                    vivaid I, num I
  editSIP                       vivaid S, id I, num S  |  deleteSIP: id S (echo)
  getTariffGroups               vivaid I; id S
  getTariffs                    vivaid S; all S except name_lng: ``[]`` when empty, else a PHP
                                associative array ``{"en": "…"}``. Also answers
                                ``cmd=getTariffGroups&tg=N`` (the page's wrong example).
  getConnectedTariffs           vivaid S; id S (the *tariff* id), nid S or null, numf "" if none
  connectTariff                 vivaid S, numid I (the new connected-number id) or null
  getNumbersTypes               vivaid I; id I (0 простой, 1 серебряный, 2 золотой)
  getFreeNumbers                vivaid S, numbersCount S; rows all S
  ============================  ================================================================

Judgement calls where the page is silent:

* Number ids are not in getConnectedNumbers (the page shows none): take them from getRCIDs.
* deleteForward keeps the forward listed by getForwards with ``deleted:"1"`` (same place in the
  order) for ``deleted_forward_ttl`` seconds (600), then it disappears. A deleted forward can no
  longer be edited, moved or deleted ("not found"); new forwards get the next ``direction``.
* editForward has no schedule parameters: new forwards get 24/7, edits keep the schedule. On edit
  a parameter left out keeps its value. moveForward beyond the ends is a no-op success.
* deleteSIP is allowed even when a forward still targets the line.
* reportCalls: ``y`` and ``m`` are required; no ``limit`` (or 0) returns everything from
  ``start``; ``counts`` is the month total after the ``type`` filter. Months outside the history
  window are empty. The current month holds ``calls_per_month`` calls squeezed into its days up
  to ``today``; today's share lies between midnight and the sandbox's clock at start (no call
  is ever in the future).
* Paging modes (``set_paging()``, ``POST /_sandbox/set_paging``, ``python -m sandbox --cap N
  --counts total|page|none --order asc|desc --ignore-start --late-rows N``) play the other
  readings a real server could give the page's paging words: see ``sandbox/paging.py``.
* Calls are ordered by calldate; every month has one pair of fully identical rows and at least one
  ``CONGESTION`` row (when >= 20 calls). About half the ANSWERED calls have a recording.
* Faults: 'drop' and 'error500'/'error502' strike before the request is processed; 'malformed'
  and 'timeout' after it (so an editForward may have happened although the client saw an error).
  'session' answers SESSION ENDED once without killing the token. Random 5xx are 500 or 502.
* set_password keeps existing sessions. Recording links are HMAC-signed with a per-instance key.

An OpenAI-compatible speech service (transcriptions whose text derives from the audio's bytes,
summaries, 429/500/slow/wrong-key faults) is served under ``/speech/v1`` (``sb.speech_url``,
controlled through ``sb.speech``) or on a port of its own: see ``sandbox/speech.py``.
"""

from .server import TeleumSandbox
from .speech import SpeechSandbox

__all__ = ["SpeechSandbox", "TeleumSandbox"]
