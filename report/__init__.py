from . import teleum_call_report
