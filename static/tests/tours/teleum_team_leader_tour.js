/** @odoo-module **/

import { registry } from "@web/core/registry";

const TEAM = ["Елена Морозова", "Иван Петров", "Надежда Егорова"];

function fail(message) {
    throw new Error(message);
}

function rows() {
    return [...document.querySelectorAll(".o_list_view .o_data_row")].map((row) => ({
        agent: row.querySelector("td[name=user_id]").textContent.trim(),
        direction: row.querySelector("td[name=direction]").textContent.trim(),
    }));
}

/**
 * Nadia leads the sales team «Север» (Elena, Ivan) with *Team Calls* (see tests/test_tour_roles.py):
 * she sees her own calls and her team's (and the internal calls they placed to a colleague), never
 * the calls of Sergey (team «Юг»).
 */
registry.category("web_tour.tours").add("teleum_team_leader_tour", {
    steps: () => [
        {
            content: "Calls are listed (not 'No calls yet')",
            trigger: ".o_list_view .o_data_row",
        },
        {
            content: "Only her team's calls: Elena's are there; another agent only on an internal call",
            trigger: ".o_list_view .o_data_row td[name=user_id]",
            run() {
                const shown = rows();
                const others = shown.filter((row) => !TEAM.includes(row.agent) && row.direction !== "Internal");
                if (others.length) {
                    fail(`Calls outside her team are shown: ${[...new Set(others.map((r) => r.agent))].join(", ")}`);
                }
                if (!shown.some((row) => row.agent === "Елена Морозова")) {
                    fail("Elena's calls are not shown");
                }
            },
        },
        {
            content: "Open the filters",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Inbound calls only",
            trigger: ".o_filter_menu .o_menu_item:contains(Inbound)",
            run: "click",
        },
        {
            trigger: ".o_searchview_facet:contains(Inbound)",
        },
        {
            // the facet shows before the list is read again: wait for a list of inbound calls only
            content: "Inbound: every call is her team's, none is Sergey's",
            trigger: ".o_list_view:not(:has(td[name=direction]:not(:contains(Inbound)))) .o_data_row",
            run() {
                const shown = rows();
                const others = shown.filter((row) => !TEAM.includes(row.agent));
                if (others.length) {
                    fail(`Inbound calls outside her team: ${[...new Set(others.map((r) => r.agent))].join(", ")}`);
                }
            },
        },
    ],
});
