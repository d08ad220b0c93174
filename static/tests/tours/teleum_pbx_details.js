/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * A manager on the PBX screens (see tests/test_tour_pbx_details.py): numbers are not typed in,
 * the other party of a call is formatted, forward types are in the user's language and Teleum's
 * lists are chosen from, never added to.
 */
registry.category("web_tour.tours").add("teleum_pbx_details_tour", {
    steps: () => [
        {
            content: "The numbers are listed",
            trigger: ".o_list_view .o_data_row td[name=display_name]:contains(812)",
        },
        {
            content: "No New button: the wizard that gets a number from Teleum instead",
            trigger: ".o_control_panel:not(:has(.o_list_button_add)) button:contains(Get a new number)",
        },
        {
            content: "Open the calls",
            trigger: ".o_main_navbar .o_menu_sections a:contains(Calls), .o_main_navbar .o_menu_sections button:contains(Calls)",
            run: "click",
        },
        {
            content: "The other party is formatted like a contact's phone",
            trigger: ".o_list_view .o_data_row td[name=remote_number_formatted]:contains(/^8 \\(\\d{3}\\) \\d{3}-\\d{2}-\\d{2}$/)",
        },
        {
            content: "Back to the numbers",
            trigger: ".o_main_navbar .o_menu_sections button:contains(PBX)",
            run: "click",
        },
        {
            trigger: ".dropdown-menu .dropdown-item:contains(Numbers)",
            run: "click",
        },
        {
            content: "Open a number",
            trigger: ".o_list_view .o_data_row td[name=display_name]:contains(812)",
            run: "click",
        },
        {
            content: "Its forwards show the type in English, not Teleum's Russian name",
            trigger: ".o_field_widget[name=forward_ids] .o_data_row td[name=type_id]:contains(/^(SIP line|Phone|Answering machine|Fax)$/)",
        },
        {
            trigger: ".o_field_widget[name=forward_ids] .o_list_table:not(:contains(Телефон)):not(:contains(Автоответчик))",
        },
        {
            content: "The number form has no New button either",
            trigger: ".o_form_view .o_control_panel:not(:has(.o_form_button_create))",
        },
        {
            content: "Edit a forward's type",
            trigger: ".o_field_widget[name=forward_ids] .o_data_row:first td[name=type_id]",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=forward_ids] .o_selected_row .o_field_widget[name=type_id] input",
            run: "edit a",
        },
        {
            content: "The types are offered (found by their English name), no \"Create …\"",
            trigger: ".o-autocomplete--dropdown-menu:has(a:contains(Answering machine)):not(:has(.o_m2o_dropdown_option_create)):not(:has(.o_m2o_dropdown_option_create_edit))",
        },
    ],
});
