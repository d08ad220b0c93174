from . import (
    test_access,
    test_crm,
    test_faults,
    test_i18n,
    test_recording_controller,
    test_security,
    test_sync,
    test_tour,
    test_tour_pbx_details,
    test_ui_details,
    test_write,
)
