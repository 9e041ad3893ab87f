//! Who may call what: every method of intake, in one place. A department
//! submits and reads for its own body and descendants (checked in the
//! handlers); who may report each kind of fact is reporters.rs's table (the
//! court-records role reaches intake only to report review outcomes and
//! read one back).
use probity_common::auth::Access::*;

probity_common::policy! {
    "probity.intake.v1.IntakeService" {
        "SubmitFact" => Report,
        "SubmitFacts" => Report,
        "VoidFact" => Write,
        "GetFact" => ReadBack,
        "LookupFact" => ReadBack,
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
        "ExportFactColumns" => Read,
        "ListOverdueMatters" => Read,
        "ListFindingRules" => Read,
    }
    // 一公开: a draw's inspections, to anyone.
    "probity.intake.v1.PublicInspectionsService" {
        "ListDrawnInspections" => Public,
    }
}
