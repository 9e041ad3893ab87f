//! The job's settings section, `[rankings]`: the rankings service's, shared
//! (the service reads the registry endpoint and token from it too).
pub use probity_rankings_service::settings::RankingsSettings;
