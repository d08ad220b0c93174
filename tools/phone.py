"""Phone numbers as Teleum and Odoo write them, reduced to one comparable key.

Teleum reports E.164 digits without '+' ("78123232323"); people type "8 (812) 323-23-23" or
"+7 812 3232323". Everything goes through Odoo's phone_validation (phonenumbers), parsed in
the account's country (Russia by default) so that the national trunk prefix 8 is understood.
The key is the E.164 number without '+'; short internal numbers (SIP lines "101") and numbers
phonenumbers cannot parse keep their digits, so they still compare equal to themselves.
"""

import re
from functools import lru_cache

from odoo.addons.phone_validation.tools import phone_validation

_NON_DIGITS = re.compile(r"\D+")


@lru_cache(maxsize=65536)
def normalize_phone(number, country_code="RU", phone_code=7):
    """Return the comparable key of ``number`` (E.164 digits), or '' for an empty number."""
    if not number:
        return ""
    digits = _NON_DIGITS.sub("", str(number))
    if len(digits) < 7:  # extension / SIP line / garbage: keep as is
        return digits
    raw = str(number).strip()
    # Teleum's own form: bare international digits. phonenumbers needs the '+' to read them.
    candidate = raw if raw.startswith(("+", "8")) or not digits.startswith(str(phone_code)) else "+" + digits
    formatted = phone_validation.phone_format(
        candidate, country_code, phone_code, force_format="E164", raise_exception=False
    )
    key = _NON_DIGITS.sub("", formatted or "")
    if formatted and formatted.startswith("+") and len(key) >= 8:
        return key
    return digits


@lru_cache(maxsize=65536)
def format_phone(key, country_code="RU", phone_code=7):
    """A number key (E.164 digits) as people read it, by Odoo's rule for phone numbers: national
    for a number of the country (Russia by default: '78123232323' -> '8 (812) 323-23-23'),
    international for the others ('4930123456' -> '+49 30 123456'). The one way every list,
    note, activity, ticket and notification of the addon writes a number; a short or unparsable
    number keeps its digits."""
    if not key:
        return ""
    if len(key) < 7:  # SIP line, extension
        return key
    formatted = phone_validation.phone_format("+" + key, country_code, phone_code, force_format="NATIONAL",
                                              raise_exception=False)
    return formatted or "+" + key
