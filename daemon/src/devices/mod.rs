//! Device identity and decisions: which block devices are internal, what a USB device is.
