/** @odoo-module **/

import { registry } from "@web/core/registry";

function fail(message) {
    throw new Error(message);
}

async function waitFor(check, what) {
    for (let i = 0; i < 50; i++) {
        if (check()) {
            return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    fail(what);
}

/**
 * Opened on a ticket whose customer has two calls, one recorded (see tests/test_tour_helpdesk.py):
 * the Calls button and tab, the recording played in place, then a ticket created from a call.
 */
registry.category("web_tour.tours").add("teleum_helpdesk_tour", {
    steps: () => [
        {
            content: "The ticket form is open, its Calls button counts the customer's two calls",
            trigger: ".o_form_view .o_teleum_ticket_calls_button .o_stat_value:contains(2)",
        },
        {
            content: "Open the Calls tab",
            trigger: ".o_notebook .nav-link:contains(Calls)",
            run: "click",
        },
        {
            content: "Both calls are listed",
            trigger: ".o_teleum_ticket_calls .o_data_row:eq(1)",
        },
        {
            content: "Play the recording in place",
            trigger: ".o_teleum_ticket_calls audio.o_teleum_audio",
            async run() {
                const audio = this.anchor;
                const src = audio.getAttribute("src");
                if (!/^\/teleum\/recording\/\d+$/.test(src)) {
                    fail(`The player must use Odoo's route, got ${src}`);
                }
                const loaded = new Promise((resolve, reject) => {
                    audio.addEventListener("loadeddata", resolve, { once: true });
                    audio.addEventListener("error", () => reject(new Error(
                        `The player could not load the recording (code ${audio.error && audio.error.code})`
                    )), { once: true });
                    setTimeout(() => reject(new Error("The recording did not load in time")), 15000);
                });
                audio.preload = "auto";
                audio.load();
                await loaded;
                await audio.play();
                if (audio.paused) {
                    fail("The recording is not playing");
                }
                audio.pause();
            },
        },
        {
            content: "Open all the ticket's calls",
            trigger: ".o_teleum_ticket_calls_button",
            run: "click",
        },
        {
            content: "Open the newest call (in the list of the Calls action, the ticket form gone)",
            trigger: "body:not(:has(.o_form_view)) .o_list_view .o_data_row:first .o_data_cell:first",
            run: "click",
        },
        {
            content: "Create a ticket from the call",
            trigger: ".o_form_view button.o_teleum_create_ticket",
            run: "click",
        },
        {
            content: "The new ticket is about the call, on the phone channel",
            trigger: ".o_form_view .o_field_widget[name=channel_id] input",
            async run() {
                await waitFor(() => this.anchor.value === "Phone", `Channel is "${this.anchor.value}"`);
                const title = document.querySelector(".o_form_view .o_field_widget[name=name] input");
                if (!title || !/^(Missed call from|Call from|Call to) 8 \(\d{3}\) \d{3}-\d{2}-\d{2}$/.test(title.value)) {
                    fail(`Unexpected ticket title "${title && title.value}"`);
                }
            },
        },
        {
            content: "The description gives the call's number, written as everywhere (8 (9xx) xxx-xx-xx)",
            trigger: ".o_form_view .o_field_widget[name=description]:contains(Number:)",
            run() {
                if (!/Number: 8 \(\d{3}\) \d{3}-\d{2}-\d{2}/.test(this.anchor.innerText)) {
                    fail(`The description says "${this.anchor.innerText}"`);
                }
            },
        },
        {
            content: "The new ticket lists the call",
            trigger: ".o_notebook .nav-link:contains(Calls)",
            run: "click",
        },
        {
            trigger: ".o_teleum_ticket_calls .o_data_row",
        },
    ],
});
