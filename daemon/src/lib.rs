//! airgapd daemon library.
