"""``python -m sandbox``: run the Teleum sandbox in the foreground until Ctrl-C (or SIGTERM)."""

import argparse
import signal
import sys
import threading

from .data import numbered_accounts
from .server import TeleumSandbox
from .speech import DEFAULT_KEY, SpeechSandbox


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="Teleum API v3 sandbox server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8070, help="0 picks a free port (default 8070)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--months", type=int, default=3, help="months of call history (default 3)")
    parser.add_argument("--calls-per-month", type=int, default=200)
    parser.add_argument("--session-ttl", type=float, default=900, help="seconds of inactivity (default 900)")
    parser.add_argument("--session-error-style", choices=("http401", "body"), default="http401")
    parser.add_argument("--record-link-ttl", type=float, default=300)
    parser.add_argument("--accounts", type=int, default=2,
                        help="accounts served: the two demo ones, then account3@example.com / account-pass-3…")
    parser.add_argument("--today", help="last day of the call history, YYYY-mm-dd (default: today, Moscow)")
    paging = parser.add_argument_group("paging modes of reportCalls and getFreeNumbers (sandbox/paging.py)")
    paging.add_argument("--cap", type=int, default=0, help="at most N rows per answer, whatever limit asks")
    paging.add_argument("--counts", choices=("total", "page", "none"), default="total",
                        help="counts = the month's total (default), the rows of this answer, or no key")
    paging.add_argument("--order", choices=("asc", "desc"), default="asc", help="oldest (default) or newest first")
    paging.add_argument("--ignore-start", action="store_true", help="ignore start/limit: the whole month every time")
    paging.add_argument("--late-rows", type=int, default=0,
                        help="insert a late row into the month after each of the next N reportCalls answers")
    speech = parser.add_argument_group("the OpenAI-compatible speech service (sandbox/speech.py)")
    speech.add_argument("--speech-port", type=int, help="serve it on a port of its own (0: a free one); "
                        "default: under /speech/ on the sandbox's port")
    speech.add_argument("--speech-key", default=DEFAULT_KEY,
                        help=f"its API key (default {DEFAULT_KEY}; '': none asked)")
    parser.add_argument("--verbose", action="store_true", help="log every request (secrets redacted)")
    args = parser.parse_args(argv)

    sandbox = TeleumSandbox(seed=args.seed, months=args.months, calls_per_month=args.calls_per_month,
                            session_ttl=args.session_ttl, session_error_style=args.session_error_style,
                            today=args.today, record_link_ttl=args.record_link_ttl, verbose=args.verbose,
                            accounts=numbered_accounts(args.accounts), speech_key=args.speech_key or None)
    sandbox.set_paging(args.cap, args.counts, args.order, args.ignore_start, args.late_rows)
    sandbox.start(args.host, args.port)
    print(f"Teleum sandbox: {sandbox.url}", flush=True)
    for account in sandbox.api.accounts.values():
        print(f"  login {account.email} / {account.password}  (contract {account.contract}, "
              f"vivaid {account.vivaid})")
    own_speech = None
    if args.speech_port is not None:
        own_speech = SpeechSandbox(args.speech_key or None).start(args.host, args.speech_port)
    speech_url = own_speech.url if own_speech else sandbox.speech_url
    print(f"  speech service (OpenAI-compatible): {speech_url}  key {args.speech_key or '(none)'}", flush=True)
    if sandbox.paging() != {"cap": 0, "counts": "total", "order": "asc", "ignore_start": False, "late_rows": 0}:
        print(f"  paging: {sandbox.paging()}")
    print(f"  control: {sandbox.base_url}_sandbox/stats  -  Ctrl-C to stop", flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if own_speech:
            own_speech.stop()
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
