//! HL7 v2 to facts (being written).
