//! ckisa-demo.
