/** @odoo-module **/

import { registry } from "@web/core/registry";

function fail(message) {
    throw new Error(message);
}

/**
 * A manager's day of missed calls (see tests/test_call_returns.py): "Missed calls not returned"
 * lists exactly the three calls nobody called back, newest first, with the contact, the agent
 * and the call-back; the returns' pivot shows the returned-in-time rate per agent.
 */
registry.category("web_tour.tours").add("teleum_returns_tour", {
    steps: () => [
        {
            content: "The calls list first",
            trigger: ".o_list_view .o_data_row",
        },
        {
            content: "Open Analysis",
            trigger: ".o_menu_sections button:contains(Analysis), .o_menu_sections a:contains(Analysis)",
            run: "click",
        },
        {
            content: "Open the missed calls not returned",
            trigger: ".dropdown-item[data-menu-xmlid='teleum_telephony.menu_teleum_not_returned']",
            run: "click",
        },
        {
            content: "The list of missed calls not returned",
            trigger: ".o_breadcrumb:contains(Missed calls not returned)",
        },
        {
            content: "Exactly the three calls nobody returned, newest first, with contact and call-back",
            trigger: ".o_list_view .o_data_row:contains(Caller C)",
            run() {
                const rows = [...document.querySelectorAll(".o_list_view .o_data_row")].map((row) => row.innerText);
                const numbers = rows.map((text) => (text.match(/8 \(916\) 111-00-0\d/) || ["?"])[0]);
                const expected = ["8 (916) 111-00-04", "8 (916) 111-00-03", "8 (916) 111-00-03"];
                if (JSON.stringify(numbers) !== JSON.stringify(expected)) {
                    fail(`not returned: ${numbers.join(", ")}, expected ${expected.join(", ")}`);
                }
                if (!rows[0].includes("Elena Returns")) {
                    fail(`the unknown caller's agent is missing: ${rows[0]}`);
                }
                for (const text of rows.slice(1)) {
                    for (const part of ["Caller C", "Sergey Returns", "Missed call from"]) {
                        if (!text.includes(part)) {
                            fail(`"${part}" missing from the row: ${text}`);
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
            trigger: ".dropdown-item[data-menu-xmlid='teleum_telephony.menu_teleum_call_report_returns']",
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
        {
            content: "Open the calls analysis",
            trigger: ".o_menu_sections button:contains(Analysis), .o_menu_sections a:contains(Analysis)",
            run: "click",
        },
        {
            trigger: ".dropdown-item[data-menu-xmlid='teleum_telephony.menu_teleum_call_report']",
            run: "click",
        },
        {
            content: "The calls analysis opens",
            trigger: ".o_breadcrumb:contains(Calls Analysis)",
        },
        {
            content: "Agent × day, count and missed %: over inbound calls, not over all of them",
            trigger: ".o_pivot th:contains(Elena Returns)",
            run() {
                const headers = [...document.querySelectorAll(".o_pivot thead th.o_pivot_measure_row")]
                    .map((th) => th.innerText.trim());
                if (headers.slice(-2).join(" | ") !== "Count | Missed (%)") {
                    fail(`measures: ${headers.join(" | ")}`);
                }
                const header = [...document.querySelectorAll(".o_pivot tbody th")].find(
                    (th) => th.innerText.trim() === "Elena Returns"
                );
                if (!header) {
                    fail("no row for Elena Returns");
                }
                const cells = [...header.parentElement.querySelectorAll("td")].map((td) => td.innerText.trim());
                // 7 calls (3 outbound, 4 inbound, every inbound one missed): 100 %, not 4 / 7
                if (cells.at(-2) !== "7" || !cells.at(-1).startsWith("100.0")) {
                    fail(`Elena Returns: ${cells.slice(-2).join(", ")}, expected 7 calls, 100.0 % missed`);
                }
            },
        },
    ],
});
