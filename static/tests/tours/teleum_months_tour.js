/** @odoo-module **/

import { registry } from "@web/core/registry";

function fail(message) {
    throw new Error(message);
}

const ROWS = ".o_field_widget[name=call_listing_ids] .o_data_row";

/**
 * The administrator on the Teleum account after a sync (see tests/test_tour_months.py): the
 * Months tab lists each month with Teleum's count, the calls stored, the state and the last full
 * read; Read again on a line starts a sync and the month shows "To read".
 */
registry.category("web_tour.tours").add("teleum_months_tour", {
    steps: () => [
        {
            content: "Open the Months tab",
            trigger: ".o_notebook .nav-link:contains(Months)",
            run: "click",
        },
        {
            content: "Each month with Teleum's count, the calls stored, its state and last full read",
            trigger: `${ROWS}:eq(1)`,
            run() {
                const rows = document.querySelectorAll(ROWS);
                if (rows.length !== 2) {
                    fail(`${rows.length} months listed, 2 expected`);
                }
                for (const row of rows) {
                    const cell = (name) => row.querySelector(`td[name=${name}]`).textContent.trim();
                    if (!/^\d\d\/\d{4}$/.test(cell("display_name"))) {
                        fail(`Month shown as "${cell("display_name")}"`);
                    }
                    if (!cell("teleum_count") || cell("teleum_count") !== cell("call_count")) {
                        fail(`Teleum's count ${cell("teleum_count")}, stored ${cell("call_count")}`);
                    }
                    if (cell("state") !== "Read, still open" || !cell("last_full_read")) {
                        fail(`State "${cell("state")}", last full read "${cell("last_full_read")}"`);
                    }
                }
            },
        },
        {
            content: "Ask for the older month again",
            trigger: `${ROWS}:last button[name=action_read_again]`,
            run: "click",
        },
        {
            content: "The sync starts in the background",
            trigger: ".o_notification:contains(Sync started)",
        },
        {
            content: "The month is to read",
            trigger: `${ROWS}:last td[name=state]:contains(To read)`,
        },
    ],
});
