from . import (
    test_access,
    test_agents_recordings,
    test_crm,
    test_faults,
    test_i18n,
    test_recording_controller,
    test_security,
    test_sync,
    test_tour,
    test_tour_roles,
    test_write,
)
