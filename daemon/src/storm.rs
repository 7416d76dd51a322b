//! Storm aggregation: at most one record per second per (process, kind).
