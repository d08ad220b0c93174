"""Call durations as people read them."""


def format_duration(seconds):
    """Seconds as h:mm:ss ('0:01:35'), the format of every list, tab, note and report of the addon
    (static/src/fields/teleum_duration_field.js writes the same); an average is rounded."""
    total = max(round(seconds or 0), 0)
    hours, rest = divmod(total, 3600)
    return "%d:%02d:%02d" % (hours, *divmod(rest, 60))
