/** @odoo-module **/

import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

/** Seconds as h:mm:ss (the notes' and reports' format, tools/duration.py); an average is rounded. */
export function formatDuration(value) {
    if (value === false || value === null || value === undefined || Number.isNaN(Number(value))) {
        return "";
    }
    const total = Math.max(Math.round(Number(value)), 0);
    const hours = Math.floor(total / 3600);
    const minutes = Math.floor((total % 3600) / 60);
    const seconds = total % 60;
    return `${hours}:${String(minutes).padStart(2, "0")}:${String(seconds).padStart(2, "0")}`;
}

export class TeleumDurationField extends Component {
    static template = "teleum_telephony.TeleumDurationField";
    static props = { ...standardFieldProps };

    get formatted() {
        return formatDuration(this.props.record.data[this.props.name]);
    }
}

export const teleumDurationField = {
    component: TeleumDurationField,
    displayName: _t("Duration (h:mm:ss)"),
    supportedTypes: ["integer", "float"],
    listViewWidth: 110, // "Длительность" fits
};

registry.category("fields").add("teleum_duration", teleumDurationField);
// list footers and group rows, pivot cells: the same format
registry.category("formatters").add("teleum_duration", formatDuration);
