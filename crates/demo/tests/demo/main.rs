//! Integration tests of the demo: the generated establishment, the simulated
//! HIS's message stream (from the generated census or resumed from a
//! stored one), and its MLLP client against a loopback listener.

mod generation;
mod his_resume;
mod his_stream;
mod mllp;
mod support;
