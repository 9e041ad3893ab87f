//! Who may call what: the job (or the legal-affairs office) records runs;
//! everyone who reads may read, a department within its own subtree
//! (checked in the handlers).
use probity_common::auth::Access::*;

probity_common::policy! {
    "probity.rankings.v1.RankingsService" {
        "RecordRun" => Raise,
        "GetRun" => Read,
        "ListRuns" => Read,
        "ListRankings" => Read,
        "GetRanking" => Read,
    }
}
