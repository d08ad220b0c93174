"""Typed records of the Teleum API v3: frozen dataclasses, one per kind of answer.

Money is ``Decimal``, counts and durations ``int`` (seconds), flags ``bool``, ids ``str``, dates
timezone-aware in the account's timezone. :mod:`.parsers` builds them from response JSON, with
the tolerant value conversion of :mod:`.convert`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

#: a call's ``status``: its disposition in one of these words (see convert.disposition_status)
STATUSES = ('answered', 'no_answer', 'busy', 'failed', 'other')


# ``raw`` (the whole original object) is for inspection only: it is kept out of repr (noise, and
# the login answer holds the token), of equality and of hashing.

@dataclass(frozen=True, slots=True)
class IdName:
    """An entry of a plain id/name list (forward types, caller-ID types, tariff groups…)."""

    id: str
    name: str
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class LoginInfo:
    account: str
    token: str = field(repr=False)
    vivaid: str
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Balance:
    contract: str
    balance: Decimal
    vivaid: str
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Call:
    """One row of reportCalls.  ``call_date`` is aware (account timezone); None if unreadable."""

    src: str
    dst: str
    duration: int
    billsec: str
    disposition: str
    status: str
    call_date: datetime | None
    call_date_local: str
    rdr: str
    raw: dict = field(default_factory=dict, repr=False, compare=False)
    error: str | None = None


@dataclass(frozen=True, slots=True)
class CallPage:
    count: int
    start: int
    calls: list[Call]
    raw: dict = field(default_factory=dict, repr=False, compare=False)
    #: False when the server sent no ``counts``; ``count`` is then ``start + len(calls)``
    count_reported: bool = True


@dataclass(frozen=True, slots=True)
class Recording:
    file_id: str
    src: str
    dst: str
    duration: int
    disposition: str
    status: str
    call_date: datetime | None
    raw: dict = field(default_factory=dict, repr=False, compare=False)
    billsec: str = ''
    call_date_local: str = ''
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Number:
    number: str
    number_formatted: str
    raw: dict = field(default_factory=dict, repr=False, compare=False)
    #: the number's id, when the server sends one (getForwards wants a number id)
    id: str | None = None


@dataclass(frozen=True, slots=True)
class CallerIdNumber:
    id: str
    number_formatted: str
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class ForwardType(IdName):
    pass


@dataclass(frozen=True, slots=True)
class CallerIdType(IdName):
    pass


@dataclass(frozen=True, slots=True)
class ScheduleWindow:
    """Weekdays 1 (Monday) .. 7 (Sunday), both ends inclusive; 24:00 is read as 23:59:59."""

    day_from: int
    day_to: int
    start: time
    end: time
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Forward:
    id: str
    number_id: str
    type_id: str
    type_name: str
    target: str
    timeout: int
    callerid_type_id: str
    callerid_type_name: str
    callerid_number_id: str | None
    sequence: int
    record: bool
    deleted: bool
    vpbx: bool
    moh: bool
    schedule: list[ScheduleWindow]
    schedule_text: str
    raw: dict = field(default_factory=dict, repr=False, compare=False)
    #: why ``dowjs2`` could not be read (``schedule`` is then empty); the forward itself is kept
    schedule_error: str | None = None


@dataclass(frozen=True, slots=True)
class ForwardTime:
    id: str
    start: time
    end: time
    day_from: int
    day_to: int
    day_from_name: str
    day_to_name: str
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class SipLine:
    id: str
    num: str
    email: str
    is_default: bool
    callerid: str
    description: str
    user_agent: str
    online: bool
    status: str
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class TariffGroup(IdName):
    pass


@dataclass(frozen=True, slots=True)
class Tariff:
    id: str
    name: str
    names: list[str]
    number_required: bool
    region_id: str | None
    region_name: str
    number_type_id: str | None
    number_type_name: str
    description: str
    connect_price: Decimal
    monthly_price: Decimal
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class ConnectedTariff:
    id: str
    cost: Decimal
    payment_type: str
    number_id: str | None
    number: str
    link_date: date | datetime | None
    name: str
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class NumberType(IdName):
    pass


@dataclass(frozen=True, slots=True)
class FreeNumber:
    id: str
    number: str
    number_formatted: str
    type_id: str
    region_id: str
    cost: Decimal
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class FreeNumbersPage:
    count: int
    series: list[tuple[str, str]]
    numbers: list[FreeNumber]
    raw: dict = field(default_factory=dict, repr=False, compare=False)
    start: int = 0
    count_reported: bool = True
