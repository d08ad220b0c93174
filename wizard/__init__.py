from . import teleum_get_number
from . import teleum_route_calls
from . import teleum_sip_delete
