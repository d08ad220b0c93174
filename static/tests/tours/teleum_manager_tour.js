/** @odoo-module **/

import { registry } from "@web/core/registry";
import { rpc } from "@web/core/network/rpc";

function fail(message) {
    throw new Error(message);
}

/**
 * The telephony manager (see tests/test_tour_roles.py): the calls by agent show each
 * salesperson, including the one whose line was assigned after the import, and the recorded
 * calls are all under "With recording".
 */
registry.category("web_tour.tours").add("teleum_manager_tour", {
    steps: () => [
        {
            content: "All calls are listed",
            trigger: ".o_list_view .o_data_row",
        },
        {
            content: "Open the filters",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Group the calls by their result (issue 27)",
            trigger: ".o_group_by_menu .o_menu_item:contains(Result)",
            run: "click",
        },
        {
            content: "The call Ivan wrote a result on is under it",
            trigger: ".o_list_view .o_group_name:contains(Reached (1))",
        },
        {
            content: "Durations in the groups read h:mm:ss (an average)",
            trigger: ".o_list_view .o_group_has_content td.o_list_number, .o_list_view tr.o_group_header td.o_list_number",
            run() {
                const cells = [...document.querySelectorAll(".o_list_view tr.o_group_header td.o_list_number")]
                    .map((cell) => cell.innerText.trim()).filter(Boolean);
                if (!cells.length || cells.some((t) => !/^\d+:\d{2}:\d{2}$/.test(t))) {
                    fail(`Group durations: ${cells.join(", ")}`);
                }
            },
        },
        {
            content: "Ungroup",
            trigger: ".o_group_by_menu .o_menu_item:contains(Result)",
            run: "click",
        },
        {
            trigger: ".o_searchview:not(:has(.o_searchview_facet))",
        },
        {
            content: "Group the calls by agent",
            trigger: ".o_group_by_menu .o_menu_item:contains(Agent)",
            run: "click",
        },
        {
            content: "Each salesperson has his calls, the late one too",
            trigger: ".o_list_view .o_group_name:contains(Иван Петров)",
        },
        {
            trigger: ".o_list_view .o_group_name:contains(Елена Морозова)",
        },
        {
            trigger: ".o_list_view .o_group_name:contains(Сергей Попов)",
        },
        {
            content: "Also filter the calls with a recording",
            trigger: ".o_filter_menu .o_menu_item:contains(With recording)",
            run: "click",
        },
        {
            content: "The recorded calls, counted by agent, are all Teleum's recordings",
            trigger: ".o_searchview_facet:contains(With recording)",
            async run() {
                const linked = await rpc("/web/dataset/call_kw/teleum.recording/search_count", {
                    model: "teleum.recording", method: "search_count",
                    args: [[["call_id", "!=", false]]], kwargs: {},
                });
                let total = -1;
                for (let i = 0; i < 50; i++) {
                    const counts = [...document.querySelectorAll(".o_list_view .o_group_name")]
                        .map((group) => Number((group.textContent.match(/\((\d+)\)\s*$/) || [0, 0])[1]));
                    total = counts.reduce((a, b) => a + b, 0);
                    if (total === linked) {
                        break;
                    }
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }
                if (!linked || total !== linked) {
                    fail(`"With recording" groups add up to ${total}; Teleum has ${linked} recorded calls`);
                }
            },
        },
    ],
});
