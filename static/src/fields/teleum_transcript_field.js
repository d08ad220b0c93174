/** @odoo-module **/

import { Component, useRef, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

// Only the addon's own route is played: Teleum's links never reach the browser.
const RECORDING_URL = /^\/teleum\/recording\/\d+$/;

/**
 * The call's recording with its summary and transcript beside it: a segment clicked seeks the
 * player to it (and plays from there); the segment being played is highlighted.
 * On the field transcript_segments ([{start, end, text}]); reads recording_url, transcript and
 * transcript_summary of the same record (the view must hold them).
 */
export class TeleumTranscriptField extends Component {
    static template = "teleum_telephony.TeleumTranscriptField";
    static props = { ...standardFieldProps };

    setup() {
        this.audio = useRef("audio");
        this.state = useState({ current: -1 });
    }

    get data() {
        return this.props.record.data;
    }

    get src() {
        const value = this.data.recording_url;
        return value && RECORDING_URL.test(value) ? value : false;
    }

    get segments() {
        const value = this.data[this.props.name];
        return Array.isArray(value)
            ? value.filter((s) => s && Number.isFinite(s.start) && typeof s.text === "string" && s.text)
            : [];
    }

    get summaryLines() {
        return (this.data.transcript_summary || "")
            .split("\n")
            .map((line) => line.trim())
            .filter(Boolean);
    }

    get text() {
        return this.data.transcript || "";
    }

    get title() {
        return _t("Play the recording");
    }

    get precise() {
        // a recording of a few seconds (a sandbox's, a test call): tenths tell its stretches apart
        const last = this.segments.at(-1);
        return Boolean(last) && Math.max(last.end || 0, last.start) < 10;
    }

    formatTime(seconds) {
        const time = Math.max(0, seconds);
        const minutes = Math.floor(time / 60);
        const rest = time - minutes * 60;
        const shown = this.precise ? rest.toFixed(1).padStart(4, "0") : String(Math.floor(rest)).padStart(2, "0");
        return `${minutes}:${shown}`;
    }

    seek(segment, index) {
        this.state.current = index;
        const audio = this.audio.el;
        if (!audio) {
            return;
        }
        audio.currentTime = segment.start;
        const playing = audio.play();
        if (playing) {
            playing.catch(() => {}); // not playable here (no codec, the server is away): the seek stays
        }
    }

    onKeydown(ev, segment, index) {
        if (ev.key === "Enter" || ev.key === " ") {
            ev.preventDefault();
            this.seek(segment, index);
        }
    }

    onTimeUpdate() {
        const time = this.audio.el.currentTime;
        const index = this.segments.findIndex((s) => time >= s.start && time < (s.end > s.start ? s.end : s.start + 0.01));
        if (index !== -1) {
            this.state.current = index;
        }
    }
}

export const teleumTranscriptField = {
    component: TeleumTranscriptField,
    displayName: _t("Call recording with its transcript"),
    supportedTypes: ["json"],
    fieldDependencies: [
        { name: "recording_url", type: "char" },
        { name: "transcript", type: "text" },
        { name: "transcript_summary", type: "text" },
    ],
};

registry.category("fields").add("teleum_transcript", teleumTranscriptField);
