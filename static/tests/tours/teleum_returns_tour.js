/** @odoo-module **/

import { registry } from "@web/core/registry";

function fail(message) {
    throw new Error(message);
}

/**
 * A manager's day of missed calls (see tests/test_call_returns.py): "Missed calls not returned"
 * lists exactly the two calls of the caller nobody called back, newest first, with the contact
 * and the call-back; the returns' pivot shows the returned-in-time rate per agent.
 */
registry.category("web_tour.tours").add("teleum_returns_tour", {
    steps: () => [
        {
            content: "Open the Telephony app",
            trigger: ".o_app[data-menu-xmlid='teleum_telephony.menu_teleum_root']",
            run: "click",
        },
        {
            content: "Open Analysis",
            trigger: ".o_menu_sections button:contains(Analysis), .o_menu_sections a:contains(Analysis)",
            run: "click",
        },
        {
            content: "Open the missed calls not returned",
            trigger: ".dropdown-item:contains(Missed calls not returned)",
            run: "click",
        },
        {
            content: "Exactly the two calls of the caller nobody returned, with contact and call-back",
            trigger: ".o_list_view .o_data_row:contains(Caller C)",
            run() {
                const rows = [...document.querySelectorAll(".o_list_view .o_data_row")];
                if (rows.length !== 2) {
                    fail(`2 missed calls not returned expected, ${rows.length} listed`);
                }
                for (const row of rows) {
                    const text = row.innerText;
                    for (const expected of ["+7 916 111-00-03", "Caller C", "Sergey Returns", "Missed call from"]) {
                        if (!text.includes(expected)) {
                            fail(`"${expected}" missing from the row: ${text}`);
                        }
                    }
                }
            },
        },
        {
            content: "Open Analysis again",
            trigger: ".o_menu_sections button:contains(Analysis), .o_menu_sections a:contains(Analysis)",
            run: "click",
        },
        {
            content: "Open the returns of missed calls",
            trigger: ".dropdown-item:contains(Returns of missed calls)",
            run: "click",
        },
        {
            content: "Returned in time per agent: Elena 2 of 4, Sergey none of 2, all 2 of 6",
            trigger: ".o_pivot th:contains(Elena Returns)",
            run() {
                const headers = [...document.querySelectorAll(".o_pivot thead th.o_pivot_measure_row")]
                    .map((th) => th.innerText.trim());
                const column = headers.indexOf("Returned in time (%)");
                if (column < 0) {
                    fail(`no "Returned in time (%)" column: ${headers.join(" | ")}`);
                }
                const cells = (name) => {
                    const header = [...document.querySelectorAll(".o_pivot tbody th")].find((th) =>
                        th.innerText.trim() === name
                    );
                    if (!header) {
                        fail(`no row for ${name}`);
                    }
                    return [...header.parentElement.querySelectorAll("td")].map((td) => td.innerText.trim());
                };
                const expected = { "Elena Returns": "50.0", "Sergey Returns": "0.0", Total: "33.3" };
                for (const [name, rate] of Object.entries(expected)) {
                    const got = cells(name)[column];
                    if (!got || !got.startsWith(rate)) {
                        fail(`${name}: returned in time ${got}, expected ${rate}`);
                    }
                }
            },
        },
    ],
});
