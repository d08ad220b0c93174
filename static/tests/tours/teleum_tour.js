/** @odoo-module **/

import { registry } from "@web/core/registry";

function fail(message) {
    throw new Error(message);
}

/**
 * Opened on a contact that has calls with a recording (see tests/test_tour.py): shows the calls,
 * plays a recording through /teleum/recording/<id> (seeking with a Range request too), then
 * routes one of our Teleum numbers to the contact's own mobile (chosen explicitly).
 */
registry.category("web_tour.tours").add("teleum_contact_tour", {
    steps: () => [
        {
            content: "The contact form is open",
            trigger: ".o_form_view .o_field_widget[name=name] input",
        },
        {
            content: "Open the Calls tab",
            trigger: ".o_notebook .nav-link:contains(Calls)",
            run: "click",
        },
        {
            content: "The latest calls are listed",
            trigger: ".o_teleum_partner_calls .o_data_row",
        },
        {
            content: "Play a recording in place",
            trigger: ".o_teleum_partner_calls audio.o_teleum_audio",
            async run() {
                const audio = this.anchor;
                const src = audio.getAttribute("src");
                if (!/^\/teleum\/recording\/\d+$/.test(src)) {
                    fail(`The player must use Odoo's route, got ${src}`);
                }
                // seeking: the browser asks for a byte range, the controller answers 206
                const partial = await fetch(src, { headers: { Range: "bytes=10-99" } });
                if (partial.status !== 206 || partial.headers.get("Content-Type") !== "audio/mpeg") {
                    fail(`Range request answered ${partial.status} ${partial.headers.get("Content-Type")}`);
                }
                if ((await partial.arrayBuffer()).byteLength !== 90) {
                    fail("Range request returned the wrong number of bytes");
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
            content: "Route calls to an agent",
            trigger: "button.o_teleum_route_calls",
            run: "click",
        },
        {
            content: "Choose one of our numbers",
            trigger: ".modal .o_field_widget[name=number_id] input",
            run: "edit 812",
        },
        {
            trigger: ".modal .o_field_widget[name=number_id] .o-autocomplete--dropdown-item > a:contains(812):not(:contains(Search More))",
            run: "click",
        },
        {
            content: "The number is chosen",
            trigger: ".modal .o_field_widget[name=number_id] input",
            async run() {
                // the autocomplete fills the input asynchronously after the click
                for (let i = 0; i < 50 && !this.anchor.value.includes("812"); i++) {
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }
                if (!this.anchor.value.includes("812")) {
                    fail(`No Teleum number chosen (input shows "${this.anchor.value}")`);
                }
            },
        },
        {
            content: "Ring the customer's own phone (chosen: never the default)",
            trigger: ".modal .o_field_widget[name=ring_on] input[data-value=customer]",
            run: "click",
        },
        {
            content: "It will ring the contact's mobile",
            trigger: ".modal .o_field_widget[name=target]:contains(79161234567)",
        },
        {
            content: "Put it first",
            trigger: ".modal .o_field_widget[name=position] input[data-value=first]",
            run: "click",
        },
        {
            content: "Apply",
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            content: "The forward that rings the contact is listed on the contact",
            trigger: "body:not(:has(.modal)) .o_teleum_routing_forwards .o_data_row:contains(8 (916) 123-45-67)",
        },
    ],
});

/**
 * The same addon for a user whose language is Russian (see tests/test_tour.py): the menus, the
 * calls list and its filters are in Russian; no column label is cut ("Длитель…", "Время о…",
 * "Количес…"), nor a forward's type ("Автоответ…"); a call's result and note are in Russian.
 */
function assertNotCut(selector, what) {
    const cut = [...document.querySelectorAll(selector)]
        .filter((el) => el.offsetParent && el.scrollWidth > el.clientWidth + 1)
        .map((el) => el.innerText.trim());
    if (cut.length) {
        fail(`${what} cut: ${cut.join(", ")}`);
    }
}

const HEADER = "thead th[data-name] span.text-truncate";
registry.category("web_tour.tours").add("teleum_russian_tour", {
    steps: () => [
        {
            content: "The app is called Телефония",
            trigger: ".o_main_navbar .o_menu_brand:contains(Телефония)",
        },
        {
            content: "The PBX menu is in Russian",
            trigger: ".o_main_navbar .o_menu_sections button:contains(АТС)",
        },
        {
            content: "The calls list has Russian column headers",
            trigger: ".o_list_view thead th:contains(Направление)",
        },
        {
            trigger: ".o_list_view thead th:contains(Номер абонента)",
        },
        {
            content: "The duration's header fits, its values read ч:мм:сс",
            trigger: ".o_list_view thead th[data-name=duration]:contains(Длительность)",
            run() {
                assertNotCut(`.o_list_view ${HEADER}`, "Calls list headers");
                const value = document.querySelector(".o_list_view .o_data_row td[name=duration]").innerText.trim();
                if (!/^\d+:\d{2}:\d{2}$/.test(value)) {
                    fail(`Duration shown as "${value}"`);
                }
            },
        },
        {
            content: "Call directions are translated",
            trigger: ".o_list_view .o_data_row .o_field_badge:contains(/^(Входящий|Исходящий|Внутренний)$/)",
        },
        {
            content: "Open the first call",
            trigger: ".o_list_view .o_data_row:first .o_data_cell:first",
            run: "click",
        },
        {
            content: "The call form is in Russian",
            trigger: ".o_form_view .o_form_label:contains(Длительность)",
        },
        {
            content: "What came of it: its result and note, in Russian",
            trigger: ".o_form_view .o_form_label:contains(Результат)",
        },
        {
            trigger: ".o_form_view .o_form_label:contains(Заметка)",
        },
        {
            content: "The numbers",
            trigger: ".o_main_navbar .o_menu_sections button:contains(АТС)",
            run: "click",
        },
        {
            trigger: ".dropdown-menu .dropdown-item:contains(Номера)",
            run: "click",
        },
        {
            content: "The numbers list: its headers fit (Переадресации, not Количес…)",
            trigger: ".o_list_view thead th[data-name=forward_count]:contains(Переадресации)",
            run() {
                assertNotCut(`.o_list_view ${HEADER}`, "Numbers list headers");
            },
        },
        {
            content: "Open the 812 number",
            trigger: ".o_list_view .o_data_row td:contains(812)",
            run: "click",
        },
        {
            content: "Its forwards: headers and types fit",
            trigger: ".o_form_view .o_field_widget[name=forward_ids] .o_data_row td[name=type_id]:contains(Автоответчик)",
            run() {
                const list = ".o_form_view .o_field_widget[name=forward_ids]";
                assertNotCut(`${list} ${HEADER}`, "Forwards tab headers");
                assertNotCut(`${list} .o_data_row td[name=type_id]`, "Forward types");
                for (const name of ["timeout", "record", "callerid_number_id"]) {
                    if (!document.querySelector(`${list} thead th[data-name=${name}]`)) {
                        fail(`No column ${name} in the Forwards tab`);
                    }
                }
            },
        },
    ],
});
