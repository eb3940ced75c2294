//! Integration tests of the demo: the generated establishment, the simulated
//! HIS's message stream, and its MLLP client against a loopback listener.

mod generation;
mod his_stream;
mod mllp;
mod support;
