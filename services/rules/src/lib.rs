//! The regulation's rules that intake and the nightly rankings job both
//! apply, written once: pure functions and constants, no database and no
//! server, so the job can use them without linking a service.
pub mod catalogue;
pub mod city;
pub mod group;
pub mod major;
pub mod time_limit;
pub mod uscc;
