from . import (
    test_access,
    test_crm,
    test_faults,
    test_i18n,
    test_recording_controller,
    test_security,
    test_sync,
    test_sync_request,
    test_tour,
    test_tour_sync_now,
    test_write,
)
