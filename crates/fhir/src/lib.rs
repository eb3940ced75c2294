//! ckisa-fhir.
