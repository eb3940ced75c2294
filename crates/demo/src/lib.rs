//! `ckisa demo`: a generated French hospital and a simulated hospital
//! information system (HIS) that feeds a node the way a real one would.
//!
//! [`generate`] builds, from a seed, an establishment of about 600 beds in
//! 20 units at about 85 % occupancy, with patients, allergies, problems,
//! prescriptions, care plans, vitals and lab results, as HL7 v2.5 messages
//! (French IHE PAM flavour) and FHIR R4 care plans ready to ingest.
//! [`run_simulated_his`] then keeps streaming admissions, transfers,
//! discharges, updates, orders and results over MLLP, at a realistic pace,
//! from a consistent census ([`HisState`]); a restarted demo resumes it from
//! the census its node's store holds ([`HisState::resume`]).
//!
//! This crate writes its own HL7 text and MLLP frames: it plays a foreign
//! HIS and must not share the node's parser (`ckisa-hl7`).
//!
//! **Invariant:** the demo only connects to loopback addresses.
//!
//! ```no_run
//! use ckisa_demo::{DemoOptions, HisState, Pace, generate, run_simulated_his};
//!
//! # async fn demo(node_mllp: std::net::SocketAddr) -> Result<(), Box<dyn std::error::Error>> {
//! let options = DemoOptions::default(); // now, 600 beds, 85 %
//! let establishment = generate(42, &options);
//! // The caller declares `establishment.units` to the store and ingests
//! // `initial_messages` and `initial_fhir` directly, then starts the stream.
//! // A new stream seed per run keeps control ids unique across runs.
//! let state = HisState::new(&establishment, 7);
//! let (stop, shutdown) = tokio::sync::watch::channel(false);
//! let his = tokio::spawn(run_simulated_his(node_mllp, state, Pace::Realistic, shutdown));
//! stop.send(true)?;
//! let report = his.await??;
//! assert!(report.sent >= report.accepted);
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

pub mod catalog;
pub mod clock;
mod config;
mod establishment;
mod fhir;
mod his;
pub mod hl7;
mod messages;
mod net;
mod patient;
mod rng;

pub use config::PLAN;
pub use establishment::{DemoOptions, Establishment, generate};
pub use his::{HisState, Occupancy};
pub use messages::{FACILITY, INS_NIR_OID, IPP_AUTHORITY_OID, SENDING_APPLICATION};
pub use net::{HisError, HisReport, Pace, run_simulated_his};
pub use patient::{
    Address, DemoAllergy, DemoCarePlan, DemoObservation, DemoPatient, DemoPrescription, DemoSex,
    DemoUnit, Location, Physician, nir_key,
};
