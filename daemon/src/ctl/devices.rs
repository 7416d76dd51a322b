//! `airgapctl devices`: every device airgapd has judged, what it decided and why.

use super::client::CtlError;
use super::output::print_json;
use super::Ctx;
use crate::dbus::DeviceEntry;

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
        println!("No devices judged yet.");
    } else {
        for d in &devices {
            print!("{}", render(d));
        }
    }
    Ok(0)
}

/// Two lines per device: what it is and the decision, then why.
pub fn render(d: &DeviceEntry) -> String {
    let mut what = vec![d.node.clone(), d.kind.clone()];
    if !d.devnum.is_empty() {
        what.push(format!("({})", d.devnum));
    }
    if !d.vendor_id.is_empty() || !d.product_id.is_empty() {
        what.push(format!("{}:{}", d.vendor_id, d.product_id));
    }
    if !d.model.is_empty() {
        what.push(format!("{:?}", d.model));
    }
    if !d.serial.is_empty() {
        what.push(format!("serial {}", d.serial));
    }
    format!(
        "{}  {}  [rule: {}]\n    {}\n",
        d.decision.to_uppercase(),
        what.join(" "),
        d.rule,
        d.reason
    )
}
