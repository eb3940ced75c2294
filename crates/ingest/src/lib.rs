//! ckisa-ingest.
