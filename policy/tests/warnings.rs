//! Valid policies that deserve a second look.

mod common;

use airgapd_policy::WarningKind;
use common::*;

#[test]
fn complete_identity_raises_no_warning() {
    assert_eq!(warnings(GOOD_MEDIA), []);
    assert_eq!(warnings(""), []);
}

#[test]
fn filesystem_only_identity_is_easy_to_forge() {
    let text = "[[media]]\nname = \"m\"\nfs_label = \"SECRET\"\nfs_uuid = \"A1B2-C3D4\"\naccess = \"read-only\"\n";
    let all = warnings(text);
    assert_eq!(all.len(), 1, "{all:#?}");
    let warning = &all[0];
    assert_eq!(warning.kind, WarningKind::FilesystemOnlyIdentity);
    assert_eq!(warning.field, "media[0].fs_uuid");
    assert_eq!((warning.location.line, warning.location.column), (4, 11));
    assert_eq!(
        warning.to_string(),
        "policy.toml:4:11: warning: media[0].fs_uuid: filesystem identity is easy to forge; \
         add vendor_id, product_id and serial"
    );
    let label_only = "[[media]]\nname = \"m\"\nfs_label = \"SECRET\"\naccess = \"read-only\"\n";
    assert_eq!(warnings(label_only)[0].field, "media[0].fs_label");
}

#[test]
fn incomplete_usb_identity_says_what_to_add() {
    let model_only = GOOD_MEDIA.replace("serial = \"ABC123\"\n", "");
    let all = warnings(&model_only);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(all[0].kind, WarningKind::IncompleteUsbIdentity);
    assert_eq!(all[0].field, "media[0]");
    assert_eq!((all[0].location.line, all[0].location.column), (2, 1));
    assert!(all[0].message.ends_with("add serial"), "{}", all[0]);
    let serial_only = GOOD_MEDIA
        .replace("vendor_id = \"0951\"\n", "")
        .replace("product_id = \"1666\"\n", "");
    assert!(warnings(&serial_only)[0]
        .message
        .ends_with("add vendor_id and product_id"));
}

#[test]
fn allow_exec_is_warned_about() {
    let text = GOOD_MEDIA.replace("access", "allow_exec = true\naccess");
    let all = warnings(&text);
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(all[0].kind, WarningKind::ExecAllowed);
    assert_eq!(all[0].field, "media[0].allow_exec");
    assert_eq!((all[0].location.line, all[0].location.column), (7, 14));
    assert!(ok(&text).policy.media[0].allow_exec);
    let off = GOOD_MEDIA.replace("access", "allow_exec = false\naccess");
    assert_eq!(warnings(&off), []);
}

#[test]
fn blanket_capture_allow_is_warned_about() {
    let all = warnings("[capture]\ncamera = \"allow\"\nmicrophone = \"deny\"\nradio = \"allow\"\n");
    let fields: Vec<&str> = all.iter().map(|w| w.field.as_str()).collect();
    assert_eq!(fields, ["capture.camera", "capture.radio"]);
    assert!(all.iter().all(|w| w.kind == WarningKind::CaptureAllowed));
    assert!(all[0].message.contains("law 29/2018 art. 5 cl. 8"));
}

#[test]
fn allowing_unprivileged_user_namespaces_is_warned_about() {
    let all = warnings("[exec]\nunprivileged_user_namespaces = true\n");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].field, "exec.unprivileged_user_namespaces");
    assert_eq!(all[0].kind, WarningKind::UserNamespacesAllowed);
    assert!(warnings("[exec]\nunprivileged_user_namespaces = false\n").is_empty());
}

#[test]
fn warnings_come_in_file_order() {
    let text = format!(
        "[capture]\ncamera = \"allow\"\n{}",
        GOOD_MEDIA.replace("access", "allow_exec = true\naccess")
    );
    let kinds: Vec<WarningKind> = warnings(&text).into_iter().map(|w| w.kind).collect();
    assert_eq!(
        kinds,
        [WarningKind::CaptureAllowed, WarningKind::ExecAllowed]
    );
}
