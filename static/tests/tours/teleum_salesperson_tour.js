/** @odoo-module **/

import { registry } from "@web/core/registry";

function fail(message) {
    throw new Error(message);
}

/**
 * Ivan, a salesperson who sees only his own calls, once the administrator gave him his SIP line
 * (see tests/test_tour_roles.py): his calls from before that are his, nobody else's are shown,
 * and he plays one of his recordings. Issue 27: no PBX menu (costs, colleagues' e-mails) but his
 * own lines; he writes a result and a note on his call.
 */
registry.category("web_tour.tours").add("teleum_salesperson_tour", {
    steps: () => [
        {
            content: "His calls are listed (not 'No calls yet')",
            trigger: ".o_list_view .o_data_row",
        },
        {
            content: "No PBX configuration for him: Calls and his own lines",
            trigger: ".o_main_navbar .o_menu_sections:contains(My SIP Lines)",
            run() {
                const sections = [...document.querySelectorAll(".o_main_navbar .o_menu_sections > *")]
                    .map((el) => el.innerText.trim());
                if (sections.some((name) => /PBX|Configuration/.test(name))) {
                    fail(`He sees the menus ${sections.join(", ")}`);
                }
            },
        },
        {
            content: "Every call shown is his",
            trigger: ".o_list_view .o_data_row td[name=user_id]",
            run() {
                const agents = [...document.querySelectorAll(".o_list_view .o_data_row td[name=user_id]")]
                    .map((cell) => cell.textContent.trim());
                const others = agents.filter((name) => name !== "Иван Петров");
                if (others.length) {
                    fail(`Calls of others are shown: ${[...new Set(others)].join(", ") || "no agent"}`);
                }
            },
        },
        {
            content: "Open the filters",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "His calls with a recording",
            trigger: ".o_filter_menu .o_menu_item:contains(With recording)",
            run: "click",
        },
        {
            trigger: ".o_searchview_facet:contains(With recording)",
        },
        {
            // the facet shows before the list is read again: wait for a list of recorded calls only
            content: "Open one",
            trigger: ".o_list_view:not(:has(td[name=has_recording] input:not(:checked))) .o_data_row:first td[name=call_date]",
            run: "click",
        },
        {
            content: "The call is his",
            trigger: ".o_form_view .o_field_widget[name=user_id]",
            run() {
                const input = this.anchor.querySelector("input");
                const agent = (input ? input.value : this.anchor.textContent).trim();
                if (agent !== "Иван Петров") {
                    fail(`The call's agent is "${agent}"`);
                }
            },
        },
        {
            content: "He can play its recording",
            trigger: ".o_form_view audio.o_teleum_audio",
            async run() {
                const response = await fetch(this.anchor.getAttribute("src"));
                if (response.status !== 200 || response.headers.get("Content-Type") !== "audio/mpeg") {
                    fail(`His recording answered ${response.status} ${response.headers.get("Content-Type")}`);
                }
            },
        },
        {
            content: "He writes what came of it: a result",
            trigger: ".o_form_view .o_field_widget[name=result_id] input",
            run: "edit Reached",
        },
        {
            trigger: ".o_field_widget[name=result_id] .o-autocomplete--dropdown-item a:contains(Reached)",
            run: "click",
        },
        {
            content: "and a note",
            trigger: ".o_form_view .o_field_widget[name=note] input",
            run: "edit Wants a demo on Monday",
        },
        {
            trigger: ".o_form_button_save:enabled",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_view .o_form_saved, .o_form_view:not(:has(.o_form_button_save:visible))",
        },
        {
            content: "His own lines",
            trigger: ".o_main_navbar .o_menu_sections a:contains(My SIP Lines), .o_main_navbar .o_menu_sections button:contains(My SIP Lines)",
            run: "click",
        },
        {
            content: "Only his line 102, without colleagues' e-mails",
            trigger: ".o_list_view .o_data_row td[name=num]:contains(102)",
            run() {
                const lines = [...document.querySelectorAll(".o_list_view .o_data_row td[name=num]")]
                    .map((cell) => cell.innerText.trim());
                if (lines.join() !== "102") {
                    fail(`He sees the lines ${lines.join(", ")}`);
                }
                if (document.querySelector(".o_list_view th[data-name=email], .o_list_view td[name=email]")) {
                    fail("The lines' e-mails are shown to him");
                }
            },
        },
    ],
});
