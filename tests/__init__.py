from . import (
    test_access,
    test_crm,
    test_faults,
    test_i18n,
    test_import_sql,
    test_recording_controller,
    test_security,
    test_sync,
    test_tour,
    test_write,
)
