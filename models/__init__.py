# ruff: noqa: I001  (order matters: the mixins come before the models that inherit them)
from . import teleum_binding, teleum_write_through, teleum_account, teleum_account_sync, teleum_account_recordings
from . import teleum_types, teleum_tariff
from . import teleum_number, teleum_forward, teleum_forward_check, teleum_forward_write, teleum_forward_order
from . import teleum_forward_routing
from . import teleum_sip, teleum_call, teleum_call_store, teleum_call_followup, teleum_call_import, teleum_recording
from . import res_partner, crm_lead, res_config_settings
from . import res_company, teleum_call_chatter
from . import teleum_call_hourly
