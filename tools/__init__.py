from .phone import format_phone, normalize_phone
