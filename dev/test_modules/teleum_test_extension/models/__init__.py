from . import teleum_test_seen
from . import mail_message
from . import teleum_call
from . import teleum_recording
