/** @odoo-module **/

import { registry } from "@web/core/registry";

function fail(message) {
    throw new Error(message);
}

function noDialog() {
    if (document.querySelector(".modal")) {
        fail(`A dialog is open: ${document.querySelector(".modal").innerText}`);
    }
}

/**
 * Settings › Teleum telephony, with an account that shows an old error (see
 * tests/test_tour_sync_now.py): Test connection with an unsaved change tests at once and the
 * Account block shows the new state; Sync now with an unsaved change starts the sync in the
 * background and says so.
 */
registry.category("web_tour.tours").add("teleum_sync_now_tour", {
    steps: () => [
        {
            content: "The Account block shows the old error",
            trigger: ".o_field_widget[name=teleum_last_error]:contains(Old failure)",
        },
        {
            trigger: ".o_field_widget[name=teleum_state]:contains(Error)",
        },
        {
            content: "Change a setting without saving",
            trigger: ".o_field_widget[name=teleum_low_balance_threshold] input",
            run: "edit 5",
        },
        {
            content: "Test connection",
            trigger: "button[name=action_teleum_test_connection]",
            run: "click",
        },
        {
            content: "It tests at once: no 'save your changes?' dialog",
            trigger: ".o_notification:contains(Connected to Teleum as contract)",
            run: noDialog,
        },
        {
            content: "The Account block shows the new state, without the old error",
            trigger: ".o_field_widget[name=teleum_state]:contains(Connected)",
            run() {
                if (document.querySelector(".o_field_widget[name=teleum_last_error]")) {
                    fail("The old error is still shown");
                }
            },
        },
        {
            content: "Change a setting again",
            trigger: ".o_field_widget[name=teleum_low_balance_threshold] input",
            run: "edit 7",
        },
        {
            content: "Sync now",
            trigger: "button[name=action_teleum_sync]",
            run: "click",
        },
        {
            content: "The sync started in the background",
            trigger: ".o_notification:contains(Sync started)",
            run: noDialog,
        },
        {
            content: "The Account block says it is requested",
            trigger: ".o_teleum_sync_progress:contains(Sync requested)",
        },
    ],
});

/**
 * Opened after the scheduled action ran the requested sync: the person who asked gets the
 * notification, and the Account block shows the new calls.
 */
registry.category("web_tour.tours").add("teleum_sync_done_tour", {
    steps: () => [
        {
            content: "The notification of the finished sync",
            trigger: ".o_notification:contains(Teleum sync finished):contains(New calls)",
        },
        {
            content: "The Account block shows the same count",
            trigger: ".o_field_widget[name=teleum_last_sync_new_calls]",
            run() {
                const shown = this.anchor.innerText.trim();
                const notified = document.querySelector(".o_notification_content").innerText.match(/\d+/)[0];
                if (!(Number(shown) > 0) || shown !== notified) {
                    fail(`New calls: the account shows ${shown}, the notification ${notified}`);
                }
                if (document.querySelector(".o_teleum_sync_progress")) {
                    fail("The sync still looks requested or running");
                }
            },
        },
    ],
});
