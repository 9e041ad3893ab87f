//! Who may call what: the job (or the legal-affairs office) records runs;
//! everyone who reads may read, a department within its own subtree
//! (checked in the handlers).
use probity_common::auth::Access::{self, *};

macro_rules! policy {
    ($($method:literal => $access:expr,)*) => {
        pub const POLICY: &[(&str, Access)] =
            &[$((concat!("/probity.rankings.v1.RankingsService/", $method), $access),)*];
    };
}

policy! {
    "RecordRun" => Raise,
    "GetRun" => Read,
    "ListRuns" => Read,
    "ListRankings" => Read,
    "GetRanking" => Read,
}
