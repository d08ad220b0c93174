from . import base_partner_merge_automatic_wizard, teleum_get_number, teleum_route_calls, teleum_sip_delete
