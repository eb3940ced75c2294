//! ckisa-web.
