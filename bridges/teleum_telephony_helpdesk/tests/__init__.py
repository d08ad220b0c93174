from . import test_helpdesk, test_i18n_helpdesk, test_tour_helpdesk
