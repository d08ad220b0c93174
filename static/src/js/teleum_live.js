/** @odoo-module **/

import { onWillUnmount } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { SelectionField, selectionField } from "@web/views/fields/selection/selection_field";

// One result of a Teleum action on screen at a time: a later "Connected" closes an earlier
// (sticky, red) "Connection failed".
let closeLast = null;

function teleumNotification(env, action) {
    const params = action.params || {};
    closeLast?.();
    closeLast = env.services.notification.add(params.message, {
        title: params.title,
        type: params.type || "info",
        sticky: params.sticky || false,
    });
    return params.next;
}

registry.category("actions").add("teleum_notification", teleumNotification);

/**
 * The account's state on the Settings page, which reloads the page's Teleum block when the
 * server says the account changed (a requested sync's pages, its end): the progress line and
 * errors are never left as they were when the page opened. Typed, unsaved values are kept.
 */
export class TeleumLiveState extends SelectionField {
    setup() {
        super.setup();
        const bus = useService("bus_service");
        const reload = () => {
            const record = this.props.record;
            if (!record.dirty) {
                record.model.load();
            }
        };
        bus.subscribe("teleum_account_changed", reload);
        onWillUnmount(() => bus.unsubscribe("teleum_account_changed", reload));
    }
}

registry.category("fields").add("teleum_live_state", {
    ...selectionField,
    component: TeleumLiveState,
    displayName: _t("Teleum account state (live)"),
});
