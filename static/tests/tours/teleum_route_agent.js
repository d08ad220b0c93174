/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * Opened as a telephony manager without an e-mail address on a customer whose salesperson has
 * SIP line 103 and who last called our 812 number (see tests/test_tour_route_agent.py): the
 * wizard says what it changes (every caller of 812, what rings before and after), routes that
 * number to the agent first, confirms it, then the customer's opportunity shows the call's note.
 */
registry.category("web_tour.tours").add("teleum_route_agent_tour", {
    steps: () => [
        {
            content: "The customer's form is open",
            trigger: ".o_form_view .o_field_widget[name=name] input",
        },
        {
            content: "Open the Calls tab",
            trigger: ".o_notebook .nav-link[name=teleum_calls]",
            run: "click",
        },
        {
            content: "Nothing routed for this customer yet: the number they called rings others",
            trigger: ".o_teleum_routing_summary:contains(812):not(:contains(Sam Seller))",
        },
        {
            content: "The summary speaks of numbers: every caller of a number rings the same",
            trigger: ".o_teleum_routing_hint:contains(every caller)",
        },
        {
            content: "Route calls to an agent",
            trigger: "button.o_teleum_route_calls",
            run: "click",
        },
        {
            content: "The agent is the customer's salesperson",
            trigger: ".modal .o_field_widget[name=agent_id] input:value(Sam Seller)",
        },
        {
            content: "The number is the one the customer last called",
            trigger: ".modal .o_field_widget[name=number_id] input:value(/812/)",
        },
        {
            content: "It rings the agent's SIP line",
            trigger: ".modal .o_field_widget[name=target]:contains(103)",
        },
        {
            content: "Titled by what it changes: which number, to whom",
            trigger: ".modal .modal-title:contains(Route calls to 8 (812)):contains(to Sam Seller (SIP 103))",
        },
        {
            content: "It says every caller of the number is routed, not only this customer",
            trigger: ".modal .o_teleum_route_impact:contains(Every caller of):contains(not only Tour Customer)",
        },
        {
            content: "And what rings now and after: the agent first, then the forwards of now",
            trigger: ".modal .o_teleum_route_impact .o_teleum_route_before:contains(Rings now:):contains(SIP 101)",
        },
        {
            trigger: ".modal .o_teleum_route_impact .o_teleum_route_after:contains(Rings after: Sam Seller (SIP 103), then)",
        },
        {
            content: "First by default",
            trigger: ".modal .o_field_widget[name=position] input[data-value=first]:checked",
        },
        {
            content: "Apply",
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            content: "A confirmation says what the number rings now",
            trigger: ".o_notification:contains(now ring Sam Seller (SIP 103), then)",
        },
        {
            content: "The form says who answers: the agent first",
            trigger: "body:not(:has(.modal)) .o_teleum_routing_summary:contains(Sam Seller):contains(SIP 103):contains(then)",
        },
        {
            content: "The forward is listed, with a way to remove it",
            trigger: ".o_teleum_routing_forwards .o_data_row:contains(Sam Seller):contains(SIP 103) .o_teleum_remove_forward",
        },
        {
            content: "Open the customer's opportunities",
            trigger: ".o_form_view button[name=action_view_opportunity]",
            run: "click",
        },
        {
            content: "Open the opportunity",
            trigger: ".o_kanban_record:contains(Tour Opportunity)",
            run: "click",
        },
        {
            content: "The call is noted in the opportunity's chatter",
            trigger: ".o-mail-Message:contains(Inbound call):contains(Sam Seller):contains(Open the call)",
        },
        {
            content: "Open the call from the note",
            trigger: ".o-mail-Message a[data-oe-model='teleum.call']",
            run: "click",
        },
        {
            content: "The call's form is shown",
            trigger: ".o_form_view .o_field_widget[name=src]:contains(79161700001)",
        },
    ],
});
