from . import test_helpdesk, test_tour_helpdesk
