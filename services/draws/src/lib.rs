//! Double random, one public (双随机一公开): a draw of targets and inspectors
//! that anyone can recompute from its published record.
//!
//! The procedure is written down in docs/draws.md; this crate is its one
//! implementation, used by the service that runs draws and by
//! `probity draw verify`, which checks a record offline.
pub mod lists;
pub mod record;
pub mod sampler;
pub mod select;

pub use lists::{Conflict, Inspector, Pair, RiskClass, Target};
pub use record::{DrawRecord, Mismatch, verify};
pub use select::{Assignment, DrawError, Parameters, draw};
