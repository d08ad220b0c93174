# ruff: noqa: I001  (order matters: the binder mixin in teleum_reference comes before its users)
from . import teleum_account, teleum_account_recordings, teleum_reference
from . import teleum_number, teleum_forward, teleum_sip, teleum_call, teleum_recording
from . import res_partner, crm_lead, res_config_settings
from . import res_company, teleum_call_chatter
