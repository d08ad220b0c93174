/** @odoo-module **/

import { registry } from "@web/core/registry";

function fail(message) {
    throw new Error(message);
}

// what the salesperson read on the call, to find the call again by it
const seen = {};

/**
 * A salesperson who sees their own calls (see tests/test_transcripts_tour.py) opens a recorded
 * call, reads its summary, clicks a stretch of the transcript and the player jumps there; back
 * on the list, a word of what was said finds that call.
 */
registry.category("web_tour.tours").add("teleum_transcript_tour", {
    steps: () => [
        {
            content: "Open the filters",
            trigger: ".o_searchview_dropdown_toggler",
            run: "click",
        },
        {
            content: "Her calls with a transcript",
            trigger: ".o_filter_menu .o_menu_item:contains(With transcript)",
            run: "click",
        },
        {
            trigger: ".o_searchview_facet:contains(With transcript)",
        },
        {
            content: "Open one",
            trigger: ".o_list_view .o_data_row:first td[name=call_date]",
            run: "click",
        },
        {
            content: "The summary is beside the player",
            trigger: ".o_form_view .o_teleum_transcript .o_teleum_transcript_summary:contains(Next step)",
            run() {
                const transcript = this.anchor.closest(".o_teleum_transcript");
                if (!transcript.querySelector("audio.o_teleum_audio[src^='/teleum/recording/']")) {
                    fail("No player beside the summary");
                }
                const summary = this.anchor.textContent;
                if (!/The customer/.test(summary)) {
                    fail(`The summary says: ${summary}`);
                }
                seen.number = document.querySelector(".o_form_view .o_field_widget[name=remote_number_formatted]")
                    .textContent.trim();
            },
        },
        {
            content: "The transcript in stretches, the player at the start",
            trigger: ".o_teleum_transcript .o_teleum_segment:eq(3)",
            run() {
                const audio = document.querySelector(".o_teleum_transcript audio");
                if (audio.currentTime !== 0) {
                    fail(`The player is already at ${audio.currentTime}`);
                }
                seen.start = parseFloat(this.anchor.dataset.start);
                if (!(seen.start > 0)) {
                    fail(`The stretch starts at ${this.anchor.dataset.start}`);
                }
                const words = this.anchor.querySelector(".o_teleum_segment_text").textContent;
                seen.word = (document.querySelector(".o_teleum_transcript_segments").textContent.match(/\d{5}/) || [])[0];
                if (!seen.word || !words) {
                    fail("The transcript has no order number to search by");
                }
            },
        },
        {
            content: "Click the fourth stretch",
            trigger: ".o_teleum_transcript .o_teleum_segment:eq(3)",
            run: "click",
        },
        {
            content: "The player jumped to that stretch",
            trigger: ".o_teleum_transcript .o_teleum_segment:eq(3).o_teleum_segment_active",
            run() {
                const audio = document.querySelector(".o_teleum_transcript audio");
                if (audio.currentTime < seen.start - 0.01) {
                    fail(`The player is at ${audio.currentTime}, the stretch starts at ${seen.start}`);
                }
                audio.pause();
            },
        },
        {
            content: "Back to the calls",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains(Calls)",
            run: "click",
        },
        {
            content: "Search by a word of what was said",
            trigger: ".o_searchview_input",
            run() {
                this.anchor.value = seen.word;
                this.anchor.dispatchEvent(new Event("input", { bubbles: true }));
            },
        },
        {
            content: "…in the transcripts",
            trigger: ".o_searchview_autocomplete .o_menu_item:contains(Transcript)",
            run: "click",
        },
        {
            trigger: ".o_searchview_facet:contains(Transcript)",
        },
        {
            trigger: ".o_searchview_facet:contains(With transcript)",
        },
        {
            content: "Only that call is found",
            trigger: ".o_list_view .o_data_row:only-child td[name=remote_number_formatted]",
            run() {
                const number = this.anchor.textContent.trim();
                if (number !== seen.number) {
                    fail(`Found the call with ${number}, read the one with ${seen.number}`);
                }
            },
        },
    ],
});
