//! The policy file as TOML gives it: every key optional, values as written, each with the span
//! `check` needs to place an error. Unknown keys are refused here, at every level.
//!
//! Strings that become enums, ids or addresses stay strings so that `check` can word every
//! error the same way (quote the value, say what is valid). Tables are not wrapped in
//! `Spanned`: toml 0.8 garbles the unknown-key error of a sub-table inside a spanned table;
//! array-of-table entries are spanned, which works.

use serde::Deserialize;
use toml::Spanned;

/// An optional scalar with its position.
pub(crate) type Field<T> = Option<Spanned<T>>;

/// A list of strings, with the list's position (for "at least one") and each item's.
pub(crate) type StringList = Field<Vec<Spanned<String>>>;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a policy document")]
pub(crate) struct RawPolicy {
    #[serde(default)]
    pub meta: RawMeta,
    #[serde(default)]
    pub network: RawNetwork,
    #[serde(default)]
    pub devices: RawDevices,
    #[serde(default)]
    pub media: Vec<Spanned<RawMedia>>,
    #[serde(default)]
    pub usb: RawUsb,
    #[serde(default)]
    pub capture: RawCapture,
    #[serde(default)]
    pub logging: RawLogging,
    #[serde(default)]
    pub exec: RawExec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [meta] table")]
pub(crate) struct RawMeta {
    pub id: Field<String>,
    pub serial: Field<i64>,
    pub issuer: Field<String>,
    /// Any value: both `"2026-11-24"` and the TOML date `2026-11-24` are accepted.
    pub issued: Field<toml::Value>,
    pub note: Field<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [network] table")]
pub(crate) struct RawNetwork {
    pub profile: Field<String>,
    pub loopback: Field<bool>,
    #[serde(default)]
    pub lan: Vec<Spanned<RawLan>>,
    pub log_host: Option<RawLogHost>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [network.log_host] table")]
pub(crate) struct RawLogHost {
    pub address: Field<String>,
    pub port: Field<i64>,
    pub cgroup: Field<String>,
    pub silent_after_hours: Field<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[network.lan]] table")]
pub(crate) struct RawLan {
    pub name: Field<String>,
    pub interface_mac: Field<String>,
    pub subnets: StringList,
    pub peers: StringList,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [devices] table")]
pub(crate) struct RawDevices {
    #[serde(rename = "loop")]
    pub loop_devices: Field<String>,
    pub internal: StringList,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[media]] table")]
pub(crate) struct RawMedia {
    pub name: Field<String>,
    pub vendor_id: Field<String>,
    pub product_id: Field<String>,
    pub serial: Field<String>,
    pub fs_uuid: Field<String>,
    pub fs_label: Field<String>,
    pub access: Field<String>,
    pub allow_exec: Field<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [usb] table")]
pub(crate) struct RawUsb {
    pub hid: Field<String>,
    pub printers: Field<String>,
    pub authorize_default: Field<String>,
    #[serde(default)]
    pub allow: Vec<Spanned<RawUsbDevice>>,
}

/// An entry of `[[usb.allow]]` or `[[capture.allow]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table naming one USB device")]
pub(crate) struct RawUsbDevice {
    pub name: Field<String>,
    pub vendor_id: Field<String>,
    pub product_id: Field<String>,
    pub serial: Field<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [capture] table")]
pub(crate) struct RawCapture {
    pub camera: Field<String>,
    pub microphone: Field<String>,
    pub radio: Field<String>,
    #[serde(default)]
    pub allow: Vec<Spanned<RawUsbDevice>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "an [exec] table")]
pub(crate) struct RawExec {
    pub unprivileged_user_namespaces: Field<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [logging] table")]
pub(crate) struct RawLogging {
    pub storm_interval_ms: Field<i64>,
    pub recent_violations: Field<i64>,
}
