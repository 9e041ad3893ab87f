//! Who may call what: every method of accountability, in one place. A
//! case's steps admit every role the decision-rights table (`rights.rs`)
//! names for them, and the handler checks the table against the case: the
//! office, a department (the unit, its legal section, a superior
//! authority) and the city government. Orders are the office's (Art. 10);
//! a department reads what concerns its body and its officers and answers
//! its orders; leadership and the government read; the rankings job (a
//! service) raises flags and records commendations.
use probity_common::auth::Access::*;

probity_common::policy! {
    "probity.accountability.v1.AccountabilityService" {
        "ListGrounds" => Read,
        "ListSeverityRules" => Read,
        "OpenCase" => Write,
        "RaiseFromFinding" => Raise,
        "RaiseFromFlag" => Raise,
        "SweepFindings" => Admin,
        "AddEvidence" => Write,
        "StartInvestigation" => Write,
        "ProposeDecision" => Write,
        "DecideCase" => Decide,
        "ContestDecision" => Write,
        "ResolveContest" => Decide,
        "ExecuteDecision" => Decide,
        "CloseCase" => Decide,
        "DismissCase" => Decide,
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
        "GetReferral" => Read,
        "ListReferrals" => Read,
        "RecordReferralReceipt" => Admin,
        "RecordReferralAnswer" => Admin,
    }
}
