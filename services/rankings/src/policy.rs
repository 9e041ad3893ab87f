//! Who may call what: the job (or the legal-affairs office) records runs;
//! everyone who reads may read, a department within its own subtree
//! (checked in the handlers). A superior's assessment is recorded by the
//! legal-affairs office alone: the department it is about must not write
//! its own grade (Art. 4 has it reported to the office). A run's reports
//! rank every department against the others and are made for leadership
//! (Art. 20's results go to the government): the office, leadership and the
//! government read them; a department reads its own rankings instead.
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
        "UploadReport" => Raise,
        "ListReports" => Oversight,
        "DownloadReport" => Oversight,
    }
}
