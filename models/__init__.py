from . import (
    teleum_account,
    teleum_account_recordings,
    teleum_reference,
    teleum_number,
    teleum_forward,
    teleum_sip,
    teleum_call,
    teleum_recording,
    res_partner,
    crm_lead,
    res_config_settings,
)
