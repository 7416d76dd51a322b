//! airgapd policy model.
