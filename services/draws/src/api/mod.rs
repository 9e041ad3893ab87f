//! The gRPC surface of the draws service: each method checks its input and
//! the caller's unit, then reads or writes through store.rs.
use std::sync::Arc;

use probity_common::{AppError, AppResult, Reason, auth::Principal};
use probity_proto::draws::v1::{
    draws_service_server::DrawsService, public_draws_service_server::PublicDrawsService, *,
};

use crate::Draws;

mod draws;
mod lists;
mod plans;
mod read;

pub use probity_common::dispatch::Ctx;

pub struct DrawsApi(pub Arc<Draws>);
pub struct PublicDrawsApi(pub Arc<Draws>);

probity_common::rpc_methods! {
    impl DrawsService for DrawsApi as "probity.draws.v1.DrawsService" {
        update_target_list("UpdateTargetList", UpdateTargetListRequest) -> TargetList => lists::update;
        get_target_list("GetTargetList", GetTargetListRequest) -> TargetList => lists::get;
        set_draw_plan("SetDrawPlan", SetDrawPlanRequest) -> DrawPlan => plans::set;
        get_draw_plan("GetDrawPlan", GetDrawPlanRequest) -> DrawPlan => plans::get;
        list_draw_plans("ListDrawPlans", ListDrawPlansRequest) -> ListDrawPlansResponse => plans::list;
        create_draw("CreateDraw", CreateDrawRequest) -> Draw => draws::create;
        record_public_value("RecordPublicValue", RecordPublicValueRequest) -> Draw => draws::record_public_value;
        reveal_draw("RevealDraw", RevealDrawRequest) -> Draw => draws::reveal;
        abandon_draw("AbandonDraw", AbandonDrawRequest) -> Draw => draws::abandon;
        get_draw("GetDraw", GetDrawRequest) -> Draw => read::get;
        list_draws("ListDraws", ListDrawsRequest) -> ListDrawsResponse => read::list;
    }
}

probity_common::rpc_methods! {
    impl PublicDrawsService for PublicDrawsApi as "probity.draws.v1.PublicDrawsService" {
        get_draw("GetDraw", GetDrawRequest) -> Draw => read::get_public;
        list_draws("ListDraws", ListDrawsRequest) -> ListDrawsResponse => read::list_public;
    }
}

/// A department acts and reads for its own body only: a unit draws for
/// itself (a body above it does not draw for it, nor read its lists).
/// Everyone else the policy admits acts for any unit.
pub(crate) fn own_unit(principal: &Principal, unit: &str) -> AppResult<()> {
    match principal.department_body() {
        Some(own) if own != unit => Err(AppError::refused(
            Reason::OwnUnitOnly,
            format!("bodies/{own} acts for itself only, not for bodies/{unit}"),
        )),
        _ => Ok(()),
    }
}

/// The library's class for the API's.
pub(crate) fn risk_of(r: i32) -> Option<crate::RiskClass> {
    match RiskClass::try_from(r).unwrap_or_default() {
        RiskClass::A => Some(crate::RiskClass::A),
        RiskClass::B => Some(crate::RiskClass::B),
        RiskClass::C => Some(crate::RiskClass::C),
        RiskClass::D => Some(crate::RiskClass::D),
        RiskClass::Unspecified => None,
    }
}
