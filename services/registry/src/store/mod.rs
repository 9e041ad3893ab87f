//! The registry's persistence: every query and write of its tables, by
//! resource. Writes run on the caller's transaction (`Write::txn`), so a
//! change, its history rows and its audit entry commit together; what a
//! change may be is decided by the handlers and the domain modules, not here.
//! Lookups answer `None` for an absent row: which NOT_FOUND that is, the
//! caller says.

pub(crate) mod bodies;
pub(crate) mod credentials;
pub mod entities;
pub(crate) mod late;
pub(crate) mod major;
pub(crate) mod officers;
pub(crate) mod post_powers;
pub(crate) mod powers;
pub(crate) mod revisions;
pub(crate) mod snapshot;
