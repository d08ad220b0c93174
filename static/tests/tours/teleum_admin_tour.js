/** @odoo-module **/

import { registry } from "@web/core/registry";
import { rpc } from "@web/core/network/rpc";

function fail(message) {
    throw new Error(message);
}

/**
 * The administrator after the first sync (see tests/test_tour_roles.py): the "With recording"
 * filter lists every call Teleum has a recording of, a recorded call shows its player, the SIP
 * line of a salesperson who joined later gets its user, and the number wizard's last step
 * names the number about to be charged. Issue 27: durations read h:mm:ss (averaged in the
 * footer), numbers are written one way, a recording downloads by name, PBX › Tariffs is filled
 * by the sync, the number wizard counts what it shows and offers Connect only when affordable.
 */
registry.category("web_tour.tours").add("teleum_admin_tour", {
    steps: () => [
        {
            content: "The calls are listed",
            trigger: ".o_list_view .o_data_row",
        },
        {
            content: "Open the filters",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Filter the calls with a recording",
            trigger: ".o_filter_menu .o_menu_item:contains(With recording)",
            run: "click",
        },
        {
            content: "Every call with a recording is listed, and only those",
            trigger: ".o_searchview_facet:contains(With recording)",
            async run() {
                const linked = await rpc("/web/dataset/call_kw/teleum.recording/search_count", {
                    model: "teleum.recording", method: "search_count",
                    args: [[["call_id", "!=", false]]], kwargs: {},
                });
                let shown = "";
                for (let i = 0; i < 50; i++) {
                    shown = (document.querySelector(".o_pager_limit") || {}).textContent || "";
                    if (shown.trim() === String(linked)) {
                        break;
                    }
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }
                if (!linked || shown.trim() !== String(linked)) {
                    fail(`"With recording" shows ${shown || "no call"}; Teleum has ${linked} recorded calls`);
                }
                const rows = document.querySelectorAll(".o_list_view .o_data_row");
                const ticked = document.querySelectorAll(
                    ".o_list_view .o_data_row td[name=has_recording] input:checked");
                if (!rows.length || ticked.length !== rows.length) {
                    fail(`${ticked.length} of ${rows.length} rows have "With recording" ticked`);
                }
            },
        },
        {
            content: "Durations read h:mm:ss, their footer is an average of the same form",
            trigger: ".o_list_view .o_data_row td[name=duration] .o_teleum_duration",
            run() {
                const cells = [...document.querySelectorAll(".o_list_view .o_data_row td[name=duration]")];
                const bad = cells.map((cell) => cell.innerText.trim()).filter((t) => !/^\d+:\d{2}:\d{2}$/.test(t));
                if (bad.length) {
                    fail(`Durations not as h:mm:ss: ${bad.slice(0, 3).join(", ")}`);
                }
                const foot = document.querySelector(".o_list_view tfoot");
                if (!foot || !/\d+:\d{2}:\d{2}/.test(foot.innerText)) {
                    fail(`The footer shows "${foot && foot.innerText.trim()}"`);
                }
            },
        },
        {
            content: "Russian numbers are written as Odoo writes them: 8 (9xx) xxx-xx-xx",
            trigger: ".o_list_view .o_data_row td[name=remote_number_formatted]",
            run() {
                const numbers = [...document.querySelectorAll(".o_list_view .o_data_row td[name=remote_number_formatted]")]
                    .map((cell) => cell.innerText.trim()).filter(Boolean);
                const other = numbers.filter((n) => !/^8 \(\d{3}\) \d{3}-\d{2}-\d{2}$/.test(n) && !n.startsWith("+"));
                if (!numbers.length || other.length) {
                    fail(`Numbers written another way: ${other.slice(0, 3).join(", ")}`);
                }
            },
        },
        {
            content: "Open a recorded call",
            trigger: ".o_list_view .o_data_row:first .o_data_cell[name=call_date]",
            run: "click",
        },
        {
            content: "The call form shows the recording's player",
            trigger: ".o_form_view audio.o_teleum_audio",
            run() {
                if (!/^\/teleum\/recording\/\d+$/.test(this.anchor.getAttribute("src"))) {
                    fail(`The player must play through Odoo, got ${this.anchor.getAttribute("src")}`);
                }
            },
        },
        {
            content: "The recording downloads as <date>_<number>.mp3",
            trigger: ".o_form_view a.o_teleum_audio_download",
            async run() {
                const response = await fetch(this.anchor.getAttribute("href"));
                const disposition = response.headers.get("Content-Disposition") || "";
                if (response.status !== 200 || !/filename\*?=.*\d{4}-\d{2}-\d{2}_\d{2}-\d{2}_\d+\.mp3/.test(disposition)) {
                    fail(`The download answered ${response.status} "${disposition}"`);
                }
            },
        },
        {
            content: "The call has a result and a note to fill in",
            trigger: ".o_form_view .o_field_widget[name=result_id] input",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=note] input",
        },
        {
            content: "PBX › Tariffs lists Teleum's tariffs (read with the configuration)",
            trigger: ".o_main_navbar .o_menu_sections button:contains(PBX)",
            run: "click",
        },
        {
            trigger: ".dropdown-menu .dropdown-item:contains(Tariffs):not(:contains(Connected))",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_group_name:contains(Виртуальные номера)",
        },
        {
            content: "Go to the SIP lines",
            trigger: ".o_main_navbar .o_menu_sections button:contains(PBX)",
            run: "click",
        },
        {
            trigger: ".dropdown-menu .dropdown-item:contains(SIP Lines)",
            run: "click",
        },
        {
            content: "Open line 102, which has no user yet",
            trigger: ".o_list_view .o_data_row:has(td[name=num]:contains(102)) td[name=num]",
            run: "click",
        },
        {
            content: "Give the line to Ivan, who joined after the first sync",
            trigger: ".o_form_view .o_field_widget[name=user_id] input",
            run: "edit Иван",
        },
        {
            trigger: ".o_field_widget[name=user_id] .o-autocomplete--dropdown-item a:contains(Иван Петров)",
            run: "click",
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
            content: "Get a new number",
            trigger: ".o_main_navbar .o_menu_sections button:contains(PBX)",
            run: "click",
        },
        {
            trigger: ".dropdown-menu .dropdown-item:contains(Get a New Number)",
            run: "click",
        },
        {
            content: "Choose the tariff group",
            trigger: ".modal .o_field_widget[name=group_id] input",
            run: "edit Виртуальные",
        },
        {
            trigger: ".modal .o_field_widget[name=group_id] .o-autocomplete--dropdown-item a:contains(Виртуальные номера)",
            run: "click",
        },
        {
            content: "Choose a St Petersburg city number",
            trigger: ".modal .o_field_widget[name=tariff_id] input",
            run: "edit Городской номер Санкт",
        },
        {
            trigger: ".modal .o_field_widget[name=tariff_id] .o-autocomplete--dropdown-item a:contains(Городской номер Санкт-Петербург)",
            run: "click",
        },
        {
            content: "The tariff is chosen",
            trigger: ".modal .o_field_widget[name=tariff_id] input",
            async run() {
                // the autocomplete fills the input asynchronously after the click
                for (let i = 0; i < 50 && !this.anchor.value.includes("Санкт-Петербург"); i++) {
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }
                if (!this.anchor.value.includes("Санкт-Петербург")) {
                    fail(`No tariff chosen (input shows "${this.anchor.value}")`);
                }
            },
        },
        {
            trigger: ".modal button[name=action_next]",
            run: "click",
        },
        {
            content: "The count says how many are listed of how many",
            trigger: ".modal .o_teleum_free_summary:contains(The first):contains(free numbers)",
            run() {
                const shown = document.querySelectorAll(".modal .o_field_widget[name=line_ids] .o_data_row").length;
                const text = this.anchor.innerText;
                const first = Number((text.match(/The first (\d+)/) || [0, -1])[1]);
                if (first !== shown) {
                    fail(`"${text}" beside ${shown} numbers`);
                }
            },
        },
        {
            content: "Choose the first free number",
            trigger: ".modal .o_field_widget[name=line_ids] .o_data_row:first button[name=action_choose]",
            run: "click",
        },
        {
            content: "The confirmation names the number about to be connected",
            trigger: ".modal .o_field_widget[name=line_id]:visible",
            run() {
                const text = this.anchor.textContent.trim();
                if (!/^8 \(812\) \d{3}-\d{2}-\d{2}$/.test(text)) {
                    fail(`The confirm step shows "${text}" instead of the chosen number`);
                }
            },
        },
        {
            content: "The balance covers it: Connect is offered",
            trigger: ".modal button[name=action_connect]:visible",
            run() {
                if (document.querySelector(".modal .o_teleum_connect_disabled")) {
                    fail("Connect is shown disabled although the balance covers it");
                }
            },
        },
        {
            content: "Leave without connecting",
            trigger: ".modal .modal-footer button:contains(Cancel)",
            run: "click",
        },
        {
            trigger: "body:not(:has(.modal))",
        },
    ],
});
