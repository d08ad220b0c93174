from . import helpdesk_ticket, teleum_call, teleum_number
