"""Pure helpers of the call transcripts (teleum.call, res.company): back-off, language, display."""

from datetime import timedelta

#: a recording that failed this many times (5xx, timeouts, a download that broke) is given up
MAX_ATTEMPTS = 5
#: the longest wait between two attempts of one recording
MAX_RETRY_DELAY = timedelta(hours=12)
#: a rate limit without Retry-After pauses the company's transcripts this long
RATE_LIMIT_PAUSE = timedelta(minutes=1)


def retry_delay(attempts, retry_after=None):
    """The wait before the next try of a recording that failed ``attempts`` times: 5 minutes,
    then 4 times longer each time (20 min, 80 min, 5 h 20), at most 12 hours; a server's
    Retry-After when it asks for longer."""
    delay = timedelta(minutes=5) * 4 ** max(attempts - 1, 0)
    delay = min(delay, MAX_RETRY_DELAY)
    if retry_after:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


def request_language(code):
    """The ``language`` sent with a transcription: an ISO 639-1 code, or None to let the service
    detect it (``'auto'``)."""
    return None if not code or code == "auto" else code


def segments_value(segments):
    """The segments of a transcript as stored for the player: ``[{start, end, text}]``."""
    return [segment.as_dict() for segment in segments] or False


def summary_line(summary, size=120):
    """The first line of a summary, cut at a word to at most ``size`` characters."""
    line = next((part.strip(" -•*\t") for part in (summary or "").splitlines() if part.strip(" -•*\t")), "")
    if len(line) <= size:
        return line
    cut = line[:size - 1].rsplit(" ", 1)[0] or line[:size - 1]
    return cut.rstrip(",;:") + "…"
