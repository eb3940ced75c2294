//! ckisa-store-sqlite.
