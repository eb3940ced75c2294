//! HL7 v2 over bytes.
