"""Pure-Python client of the Teleum virtual-PBX API v3 (no Odoo imports).

Importable as ``teleum_api`` (repository root on sys.path) and, inside Odoo, as
``odoo.addons.teleum_telephony.teleum_api``; hence relative imports only.

    client = TeleumClient('demo@example.com', '989864')
    for call in client.iter_calls(2024, 5):
        ...
"""
from .client import DEFAULT_URL, USER_AGENT, WRITE_METHODS, TeleumClient, TimeLimit, current_time_limit, time_limit
from .convert import disposition_status
from .errors import (
    TeleumAuthError,
    TeleumError,
    TeleumSessionError,
    TeleumTimeUp,
    TeleumTransientError,
    TeleumValidationError,
)
from .records import (
    STATUSES,
    Balance,
    Call,
    CallerIdNumber,
    CallerIdType,
    CallPage,
    ConnectedTariff,
    Forward,
    ForwardTime,
    ForwardType,
    FreeNumber,
    FreeNumbersPage,
    LoginInfo,
    Number,
    NumberType,
    Recording,
    ScheduleWindow,
    SipLine,
    Tariff,
    TariffGroup,
)
from .redact import redact, redact_params

__all__ = [
    'DEFAULT_URL',
    'STATUSES',
    'USER_AGENT',
    'WRITE_METHODS',
    'Balance',
    'Call',
    'CallPage',
    'CallerIdNumber',
    'CallerIdType',
    'ConnectedTariff',
    'Forward',
    'ForwardTime',
    'ForwardType',
    'FreeNumber',
    'FreeNumbersPage',
    'LoginInfo',
    'Number',
    'NumberType',
    'Recording',
    'ScheduleWindow',
    'SipLine',
    'Tariff',
    'TariffGroup',
    'TeleumAuthError',
    'TeleumClient',
    'TeleumError',
    'TeleumSessionError',
    'TeleumTimeUp',
    'TeleumTransientError',
    'TeleumValidationError',
    'TimeLimit',
    'current_time_limit',
    'disposition_status',
    'redact',
    'redact_params',
    'time_limit',
]
