from . import test_sync
from . import test_crm, test_recording_controller, test_tour
from . import test_write, test_access
from . import test_faults, test_security
