{
    "name": "Teleum Telephony: test extension",
    "summary": "Test only: extends what the Teleum import creates, as other modules and customisations do",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "author": "Teleum Telephony for Odoo contributors",
    "license": "LGPL-3",
    "depends": ["teleum_telephony", "base_automation"],
    "data": ["security/ir.model.access.csv"],
    "installable": True,
}
