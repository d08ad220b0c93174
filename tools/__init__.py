from .duration import format_duration
from .phone import format_phone, normalize_phone
from .validation import bare_email, phone_target
