/** @odoo-module **/

import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

// Only the addon's own route is played: Teleum's links never reach the browser.
const RECORDING_URL = /^\/teleum\/recording\/\d+$/;

export class TeleumAudioField extends Component {
    static template = "teleum_telephony.TeleumAudioField";
    static props = { ...standardFieldProps };

    get src() {
        const value = this.props.record.data[this.props.name];
        return value && RECORDING_URL.test(value) ? value : false;
    }

    get title() {
        return _t("Play the recording");
    }

    get downloadTitle() {
        return _t("Download the recording");
    }
}

export const teleumAudioField = {
    component: TeleumAudioField,
    displayName: _t("Call recording player"),
    supportedTypes: ["char"],
};

registry.category("fields").add("teleum_audio", teleumAudioField);
