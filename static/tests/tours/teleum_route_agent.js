/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * Opened as a telephony manager on a customer whose salesperson has SIP line 103 and who last
 * called our 812 number (see tests/test_tour_route_agent.py): routes that number to the agent
 * from the customer's form, reads who answers, then opens the customer's opportunity and finds
 * the note of the customer's call in its chatter.
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
