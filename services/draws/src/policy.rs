//! Who may call what. A unit uploads its target list, sets its plan, commits,
//! reveals (Write: the department, for its own body only, checked in the
//! handlers; or the legal-affairs office). The public value is recorded by
//! the office alone (Admin): the unit that committed must not choose it.
//! Every draw is public (一公开).
use probity_common::auth::Access::*;

probity_common::policy! {
    "probity.draws.v1.DrawsService" {
        "UpdateTargetList" => Write,
        "GetTargetList" => Read,
        "SetDrawPlan" => Write,
        "GetDrawPlan" => Read,
        "ListDrawPlans" => Read,
        "CreateDraw" => Write,
        "RecordPublicValue" => Admin,
        "RevealDraw" => Write,
        "AbandonDraw" => Write,
        "GetDraw" => Read,
        "ListDraws" => Read,
    }
    "probity.draws.v1.PublicDrawsService" {
        "GetDraw" => Public,
        "ListDraws" => Public,
    }
}
