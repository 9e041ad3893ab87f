//! Who may call what: every method of intake, in one place. A department
//! submits and reads for its own body and descendants (checked in the
//! handlers); Art. 8 item scores are the legal-affairs office's alone.
use probity_common::auth::Access::{self, *};

macro_rules! policy {
    ($($method:literal => $access:expr,)*) => {
        pub const POLICY: &[(&str, Access)] =
            &[$((concat!("/probity.intake.v1.IntakeService/", $method), $access),)*];
    };
}

policy! {
    "SubmitFact" => Write,
    "SubmitFacts" => Write,
    "VoidFact" => Write,
    "GetFact" => Read,
    "LookupFact" => Read,
    "BatchLookupFacts" => Read,
    "ListFactRevisions" => Read,
    "ListFacts" => Read,
    "CountFacts" => Read,
    "ListFindings" => Read,
    "CountFindings" => Read,
    "GetFinding" => Read,
    // The office alone rules (checked in the handler, to name the rule).
    "ClearFinding" => Write,
    "UpholdFinding" => Write,
    "ExportFacts" => Read,
}
