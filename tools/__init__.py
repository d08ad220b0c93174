from .phone import normalize_phone  # noqa: F401
