//! Who may call what: the job (or the legal-affairs office) records runs;
//! everyone who reads may read, a department within its own subtree
//! (checked in the handlers). A superior's assessment is recorded by the
//! legal-affairs office alone: the department it is about must not write
//! its own grade (Art. 4 has it reported to the office).
use probity_common::auth::Access::*;

probity_common::policy! {
    "probity.rankings.v1.RankingsService" {
        "RecordRun" => Raise,
        "GetRun" => Read,
        "ListRuns" => Read,
        "ListRankings" => Read,
        "GetRanking" => Read,
        "RecordSuperiorAssessment" => Admin,
        "ListSuperiorAssessments" => Read,
    }
}
