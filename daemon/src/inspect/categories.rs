//! What a USB device is, from what its traces show: the drivers that bound to it, its vendor
//! id and the strings it gave. Strings are what the device claims, so they only ever ADD a
//! category (a "USB Stick" string never hides a network interface the kernel registered).

use std::collections::BTreeSet;

use super::model::Category;

/// Drivers of USB network interfaces: tethering, USB Ethernet, mobile broadband modems.
const NETWORK_DRIVERS: &[&str] = &[
    "rndis_host",
    "cdc_ether",
    "cdc_eem",
    "cdc_ncm",
    "cdc_mbim",
    "huawei_cdc_ncm",
    "qmi_wwan",
    "option",
    "sierra",
    "sierra_net",
    "ax88179_178a",
    "asix",
    "r8152",
    "smsc95xx",
    "smsc75xx",
    "lan78xx",
    "dm9601",
    "mcs7830",
    "pegasus",
    "rtl8150",
    "usbnet",
    "aqc111",
    "cdc_subset",
    "zaurus",
];

/// Drivers of Wi-Fi and Bluetooth adapters.
const RADIO_DRIVERS: &[&str] = &[
    "btusb",
    "rtl8xxxu",
    "rtl8192cu",
    "rtl8188eu",
    "r8188eu",
    "r8712u",
    "rt2800usb",
    "rt2500usb",
    "rt73usb",
    "mt7601u",
    "mt76x0u",
    "mt76x2u",
    "mt7663u",
    "mt7921u",
    "mt7925u",
    "ath9k_htc",
    "ath6kl_usb",
    "ar5523",
    "carl9170",
    "zd1211rw",
    "rsi_usb",
    "mwifiex_usb",
    "brcmfmac",
    "rtw_8821cu",
    "rtw_8822bu",
    "rtw_8822cu",
    "rtw88_8821cu",
    "rtw_8812au",
    "rtw89_8852bu",
    "at76c50x-usb",
];

/// USB vendor ids of handset makers (lowercase hex).
const PHONE_VENDORS: &[&str] = &[
    "18d1", // Google (Pixel, Android debug/MTP)
    "04e8", // Samsung
    "2717", // Xiaomi
    "12d1", // Huawei
    "22d9", // OPPO, Realme
    "2d95", // vivo
    "2a70", // OnePlus
    "22b8", // Motorola
    "1004", // LG
    "0fce", // Sony (Ericsson)
    "0bb4", // HTC
    "19d2", // ZTE
    "2e04", // HMD (Nokia)
    "0421", // Nokia
    "1bbb", // Alcatel (T&A)
    "2a45", // Meizu
    "0e8d", // MediaTek (many Android phones: Tecno, Infinix, Vsmart)
    "29a9", // Vsmart (Vingroup)
    "1ebf", // Coolpad
];

/// Words in a product or manufacturer string that mean a phone.
const PHONE_WORDS: &[&str] = &[
    "iphone", "ipad", "ipod", "android", "pixel", "galaxy", "redmi", "mtp", "phone",
];

/// Words that mean a radio.
const RADIO_WORDS: &[&str] = &["802.11", "wlan", "wireless", "wi-fi", "wifi", "bluetooth"];

/// Words that mean a camera or a microphone.
const CAPTURE_WORDS: &[&str] = &["webcam", "camera", "microphone", "headset"];

/// What a driver bound to one of the device's interfaces makes it.
pub fn of_driver(driver: &str) -> Option<Category> {
    Some(match driver {
        "ipheth" => Category::Phone,
        d if NETWORK_DRIVERS.contains(&d) => Category::NetworkCapable,
        d if RADIO_DRIVERS.contains(&d) => Category::Radio,
        "uvcvideo" | "gspca_main" | "snd-usb-audio" | "snd_usb_audio" | "usb-audio" => {
            Category::CameraOrMicrophone
        }
        "usb-storage" | "uas" | "ums-realtek" => Category::Storage,
        "usbhid" => Category::Input,
        _ => return None,
    })
}

/// What the ids and strings make it. `shown` is what its drivers already showed: a handset
/// maker's vendor id alone does not make a phone of a device that showed itself a disk, a
/// keyboard or a camera (Samsung's SSDs, Google's security keys); its strings still can.
pub fn of_identity(
    vendor: Option<&str>,
    product_id: Option<&str>,
    manufacturer: Option<&str>,
    product: Option<&str>,
    shown: &BTreeSet<Category>,
) -> Vec<Category> {
    let mut out = Vec::new();
    let text = format!(" {} {}", manufacturer.unwrap_or(""), product.unwrap_or("")).to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    let apple_handset = vendor == Some("05ac") && product_id.is_some_and(|p| p.starts_with("12"));
    let something_else = [
        Category::Storage,
        Category::Input,
        Category::CameraOrMicrophone,
        Category::Radio,
    ]
    .iter()
    .any(|c| shown.contains(c));
    let phone_vendor = vendor.is_some_and(|v| PHONE_VENDORS.contains(&v)) || apple_handset;
    if (phone_vendor && !something_else) || has(PHONE_WORDS) {
        out.push(Category::Phone);
    }
    if has(RADIO_WORDS) {
        out.push(Category::Radio);
    }
    if has(CAPTURE_WORDS) {
        out.push(Category::CameraOrMicrophone);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_radios_and_cameras_from_what_the_device_shows() {
        let none = BTreeSet::new();
        assert_eq!(
            of_identity(
                Some("18d1"),
                Some("4ee7"),
                Some("Google"),
                Some("Pixel 7"),
                &none
            ),
            vec![Category::Phone]
        );
        assert_eq!(
            of_identity(
                Some("05ac"),
                Some("12a8"),
                Some("Apple Inc."),
                Some("iPhone"),
                &none
            ),
            vec![Category::Phone]
        );
        assert_eq!(
            of_identity(
                Some("0bda"),
                Some("8179"),
                Some("Realtek"),
                Some("802.11n NIC"),
                &none
            ),
            vec![Category::Radio]
        );
        assert_eq!(
            of_identity(
                Some("0951"),
                Some("1666"),
                None,
                Some("DataTraveler 3.0"),
                &none
            ),
            vec![]
        );
        // A Samsung SSD is a disk, not a phone; a Samsung phone in MTP mode shows no driver.
        let disk = BTreeSet::from([Category::Storage]);
        assert_eq!(
            of_identity(
                Some("04e8"),
                Some("4001"),
                Some("Samsung"),
                Some("PSSD T7"),
                &disk
            ),
            vec![]
        );
        assert_eq!(
            of_identity(
                Some("04e8"),
                Some("6860"),
                Some("SAMSUNG"),
                Some("SAMSUNG_Android"),
                &disk
            ),
            vec![Category::Phone]
        );
        assert_eq!(
            of_identity(
                Some("04e8"),
                Some("6860"),
                Some("SAMSUNG"),
                Some("Galaxy"),
                &none
            ),
            vec![Category::Phone]
        );
        assert_eq!(of_driver("rndis_host"), Some(Category::NetworkCapable));
        assert_eq!(of_driver("uas"), Some(Category::Storage));
    }
}
