//! `airgapctl devices`: every device airgapd has judged, what it decided and why.

use super::client::CtlError;
use super::output::{print_json, wrap};
use super::Ctx;
use crate::dbus::DeviceEntry;
use crate::i18n::catalog;
use crate::i18n::time::date_time;
use crate::tr;

/// Arguments of `airgapctl devices`.
#[derive(Debug, clap::Args)]
pub struct DevicesArgs {}

/// Run `airgapctl devices`.
pub async fn run(ctx: &Ctx, _args: DevicesArgs) -> Result<i32, CtlError> {
    let client = ctx.connect().await?;
    let devices = client.read("read the device list", client.proxy.list_devices().await)?;
    if ctx.json {
        print_json(&devices);
    } else if devices.is_empty() {
        println!("{}", tr!("devices-none"));
    } else {
        let text: Vec<String> = devices.iter().map(render).collect();
        print!("{}", text.join("\n"));
    }
    Ok(0)
}

/// The decision in the reader's words (the daemon's word when the catalog lacks it).
pub fn decision_words(decision: &str) -> String {
    let id = format!("decision-{decision}");
    if catalog().has(&id) {
        catalog().text(&id, None)
    } else {
        decision.to_uppercase()
    }
}

/// Why a device was decided so, in the reader's language: the daemon's [`ReasonRef`] through
/// the catalog (`reason-*`; USB categories through `usb-category-*`), or its English sentence
/// when there is none or the catalog lacks the key.
pub fn reason_words(reason_ref: &str, english: &str) -> String {
    reason_words_in(catalog(), reason_ref, english)
}

pub use crate::i18n::reason::reason_words_in;

/// One block per device: the decision and the node, then what it is and why, each line
/// wrapped to 80 columns.
pub fn render(d: &DeviceEntry) -> String {
    let kind = {
        let id = format!("device-kind-{}", d.kind);
        if catalog().has(&id) {
            catalog().text(&id, None)
        } else {
            d.kind.clone()
        }
    };
    let mut lines = vec![if d.devnum.is_empty() {
        tr!(
            "devices-heading",
            decision = decision_words(&d.decision),
            node = &d.node,
            kind = kind
        )
    } else {
        tr!(
            "devices-heading-devnum",
            decision = decision_words(&d.decision),
            node = &d.node,
            kind = kind,
            devnum = &d.devnum
        )
    }];
    if !d.model.is_empty() {
        lines.push(tr!("devices-model", model = &d.model));
    }
    if !d.vendor_id.is_empty() || !d.product_id.is_empty() {
        lines.push(tr!(
            "devices-usb-id",
            vendor = &d.vendor_id,
            product = &d.product_id
        ));
    }
    if !d.serial.is_empty() {
        lines.push(tr!("devices-serial", serial = &d.serial));
    }
    let at = |us: u64| date_time(catalog(), us);
    match (d.since_us, d.left_us) {
        (0, 0) => {}
        (since, 0) => lines.push(tr!("devices-present", since = at(since))),
        (0, left) => lines.push(tr!("devices-left-unknown", left = at(left))),
        (since, left) => lines.push(tr!("devices-left", since = at(since), left = at(left))),
    }
    if !d.was.is_empty() {
        lines.push(tr!("devices-was", decision = decision_words(&d.was)));
    }
    lines.push(tr!("devices-rule", rule = &d.rule));
    // A departed device's reason is the daemon's English account of its leaving, said above
    // in the reader's words; a present one's says why it was decided so.
    if !d.reason.is_empty() && d.left_us == 0 {
        lines.push(tr!(
            "devices-reason",
            reason = reason_words(&d.reason_ref, &d.reason)
        ));
    }
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        let indent = if i == 0 { "" } else { "    " };
        out.push_str(&wrap(&format!("{indent}{line}"), 6));
        out.push('\n');
    }
    out
}
