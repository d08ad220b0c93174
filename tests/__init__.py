from . import (
    test_access,
    test_chatter_notes,
    test_crm,
    test_faults,
    test_i18n,
    test_recording_controller,
    test_route_agent,
    test_security,
    test_sync,
    test_tour,
    test_tour_route_agent,
    test_write,
)
