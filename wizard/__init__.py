from . import teleum_get_number, teleum_route_calls, teleum_sip_delete
