from . import (
    test_access,
    test_crm,
    test_faults,
    test_i18n,
    test_paging,
    test_recording_controller,
    test_security,
    test_sync,
    test_tour,
    test_write,
)
