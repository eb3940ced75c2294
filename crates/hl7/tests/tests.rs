//! Integration tests of ckisa-hl7, compiled as one binary: the shared real-world corpus, the
//! edge cases reproduced from public bug reports, property tests and differential tests against
//! other HL7 parsers.

mod corpus;
mod differential;
mod edge;
mod properties;
mod support;
