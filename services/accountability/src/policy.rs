//! Who may call what: every method of accountability, in one place. Cases
//! and orders are the legal-affairs office's to manage (Art. 10, 12, 21);
//! a department reads what concerns its body and its officers, answers its
//! orders and contests decisions about itself (checked in the handlers);
//! leadership reads; the rankings job (a service) raises flags and records
//! commendations.
use probity_common::auth::Access::*;

probity_common::policy! {
    "probity.accountability.v1.AccountabilityService" {
        "ListGrounds" => Read,
        "ListSeverityRules" => Read,
        "OpenCase" => Admin,
        "RaiseFromFinding" => Raise,
        "RaiseFromFlag" => Raise,
        "SweepFindings" => Admin,
        "AddEvidence" => Admin,
        "StartInvestigation" => Admin,
        "ProposeDecision" => Admin,
        "DecideCase" => Admin,
        "ContestDecision" => Write,
        "ResolveContest" => Admin,
        "ExecuteDecision" => Admin,
        "CloseCase" => Admin,
        "DismissCase" => Admin,
        "GetCase" => Read,
        "ListCases" => Read,
        "ListCaseEvents" => Read,
        "CreateOrder" => Admin,
        "AnswerOrder" => Write,
        "GetOrder" => Read,
        "ListOrders" => Read,
        "RecordCommendation" => Raise,
        "ListCommendations" => Read,
        "GetNotice" => Read,
        "ListNotices" => Read,
        "RenderNotice" => Read,
    }
}
