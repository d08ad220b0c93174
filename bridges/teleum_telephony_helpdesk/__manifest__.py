{
    "name": "Teleum Telephony: Helpdesk",
    "summary": "A customer's Teleum calls and recordings on their helpdesk tickets, tickets from calls",
    "version": "18.0.1.0.0",
    "category": "After-Sales",
    "author": "Teleum Telephony for Odoo contributors",
    "website": "https://teleum.ru",
    "license": "AGPL-3",
    "depends": ["teleum_telephony", "helpdesk_mgmt"],
    "data": [
        "views/helpdesk_ticket_views.xml",
        "views/teleum_call_views.xml",
        "views/teleum_number_views.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "teleum_telephony_helpdesk/static/tests/tours/**/*",
        ],
    },
    "auto_install": True,
    "installable": True,
}
