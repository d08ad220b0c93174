"""Checks of what a user types for Teleum (a forward's target, a SIP line's e-mail), shared by the models."""

import re

import phonenumbers

from odoo.exceptions import ValidationError
from odoo.tools import email_normalize

from .phone import normalize_phone

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
PHONE_CHARS_RE = re.compile(r"^\+?[\d\s().\-]+$")


def bare_email(text):
    """``text`` as the normalized e-mail address Teleum accepts, or None when it is not a bare address
    ("a b@x.com" or "Name <b@x.com>" would silently become b@x.com)."""
    normalized = email_normalize(text, strict=True)
    if not normalized or not EMAIL_RE.match(normalized) or normalized != text.lower():
        return None
    return normalized


def phone_target(env, target, country):
    """A phone number typed by a user, as Teleum wants it (E.164 digits), or a ValidationError in the
    user's language. ``country``: the account's company country (its code and calling code), Russia when
    unset."""
    if not PHONE_CHARS_RE.match(target):
        raise ValidationError(env._("%(target)s is not a phone number: use digits, spaces, +, ( ) and - only.",
                                target=target))
    key = normalize_phone(target, country.code or "RU", country.phone_code or 7)
    if not 10 <= len(key) <= 15:
        raise ValidationError(env._("%(target)s is not a complete phone number (with its area code).",
                                target=target))
    try:
        possible = phonenumbers.is_possible_number(phonenumbers.parse("+" + key))
    except phonenumbers.NumberParseException:
        possible = False
    if not possible:
        raise ValidationError(env._("%(target)s is not a valid phone number.", target=target))
    return key
