//! The gRPC surface: each method validates, checks scope and reads or writes
//! through `crate::store` (a write on its own transaction, audited in it),
//! one module per resource.
use std::sync::Arc;

pub use probity_common::dispatch::Ctx;
use probity_proto::registry::v1::*;

use crate::Registry;

/// Opens the audited, idempotent change for a write handler, or returns from
/// it with the first response when this is a retry of an earlier request.
macro_rules! begin_write {
    ($reg:expr, $ctx:expr, $request_id:expr, $request:expr) => {{
        let w = $reg
            .store
            .write(&$ctx.principal, $ctx.method, $request_id, $request)
            .await?;
        if let Some(done) = w.replayed()? {
            return Ok(done);
        }
        w
    }};
}

mod bodies;
mod check;
mod credentials;
mod late;
mod major;
mod officers;
mod powers;
mod public;
mod revisions;

pub struct RegistryApi(pub Arc<Registry>);
pub struct PublicApi(pub Arc<Registry>);

probity_common::rpc_methods! {
    impl registry_service_server::RegistryService for RegistryApi as "probity.registry.v1.RegistryService" {
        create_body("CreateBody", CreateBodyRequest) -> Body => bodies::create_body;
        get_body("GetBody", GetBodyRequest) -> Body => bodies::get_body;
        list_bodies("ListBodies", ListBodiesRequest) -> ListBodiesResponse => bodies::list_bodies;
        update_body("UpdateBody", UpdateBodyRequest) -> Body => revisions::update_body;
        list_body_revisions("ListBodyRevisions", ListBodyRevisionsRequest) -> ListBodyRevisionsResponse => revisions::list_body_revisions;
        create_unit("CreateUnit", CreateUnitRequest) -> Unit => bodies::create_unit;
        list_units("ListUnits", ListUnitsRequest) -> ListUnitsResponse => bodies::list_units;
        create_post("CreatePost", CreatePostRequest) -> Post => bodies::create_post;
        get_post("GetPost", GetPostRequest) -> Post => bodies::get_post;
        list_posts("ListPosts", ListPostsRequest) -> ListPostsResponse => bodies::list_posts;
        update_post("UpdatePost", UpdatePostRequest) -> Post => revisions::update_post;
        list_post_revisions("ListPostRevisions", ListPostRevisionsRequest) -> ListPostRevisionsResponse => revisions::list_post_revisions;
        set_post_powers("SetPostPowers", SetPostPowersRequest) -> Post => powers::set_post_powers;
        create_power("CreatePower", CreatePowerRequest) -> Power => powers::create_power;
        revise_power("RevisePower", RevisePowerRequest) -> Power => powers::revise_power;
        withdraw_power("WithdrawPower", WithdrawPowerRequest) -> Power => powers::withdraw_power;
        get_power("GetPower", GetPowerRequest) -> Power => powers::get_power;
        list_powers("ListPowers", ListPowersRequest) -> ListPowersResponse => powers::list_powers;
        list_power_versions("ListPowerVersions", ListPowerVersionsRequest) -> ListPowerVersionsResponse => powers::list_power_versions;
        list_unassigned_powers("ListUnassignedPowers", ListUnassignedPowersRequest) -> ListUnassignedPowersResponse => powers::list_unassigned_powers;
        set_major_decision_criteria("SetMajorDecisionCriteria", SetMajorDecisionCriteriaRequest) -> MajorDecisionCriteriaVersion => major::set_major_decision_criteria;
        list_major_decision_criteria("ListMajorDecisionCriteria", ListMajorDecisionCriteriaRequest) -> ListMajorDecisionCriteriaResponse => major::list_major_decision_criteria;
        create_officer("CreateOfficer", CreateOfficerRequest) -> Officer => officers::create_officer;
        get_officer("GetOfficer", GetOfficerRequest) -> Officer => officers::get_officer;
        list_officers("ListOfficers", ListOfficersRequest) -> ListOfficersResponse => officers::list_officers;
        find_officer_by_national_id("FindOfficerByNationalId", FindOfficerByNationalIdRequest) -> Officer => officers::find_by_national_id;
        set_officer_posts("SetOfficerPosts", SetOfficerPostsRequest) -> Officer => officers::set_officer_posts;
        set_officer_status("SetOfficerStatus", SetOfficerStatusRequest) -> Officer => officers::set_officer_status;
        transfer_officer("TransferOfficer", TransferOfficerRequest) -> Officer => officers::transfer_officer;
        get_officer_history("GetOfficerHistory", GetOfficerHistoryRequest) -> GetOfficerHistoryResponse => officers::get_officer_history;
        issue_credential("IssueCredential", IssueCredentialRequest) -> Credential => credentials::issue_credential;
        get_credential("GetCredential", GetCredentialRequest) -> Credential => credentials::get_credential;
        list_credentials("ListCredentials", ListCredentialsRequest) -> ListCredentialsResponse => credentials::list_credentials;
        withhold_credential("WithholdCredential", WithholdCredentialRequest) -> Credential => credentials::withhold_credential;
        release_credential("ReleaseCredential", ReleaseCredentialRequest) -> Credential => credentials::release_credential;
        revoke_credential("RevokeCredential", RevokeCredentialRequest) -> Credential => credentials::revoke_credential;
        check_actors("CheckActors", CheckActorsRequest) -> CheckActorsResponse => check::check_actors;
        batch_check_actors("BatchCheckActors", BatchCheckActorsRequest) -> BatchCheckActorsResponse => check::batch_check_actors;
        list_late_changes("ListLateChanges", ListLateChangesRequest) -> ListLateChangesResponse => late::list_late_changes;
    }
}

probity_common::rpc_methods! {
    impl public_registry_service_server::PublicRegistryService for PublicApi as "probity.registry.v1.PublicRegistryService" {
        verify_credential("VerifyCredential", VerifyCredentialRequest) -> VerifyCredentialResponse => public::verify_credential;
        list_published_powers("ListPublishedPowers", ListPublishedPowersRequest) -> ListPublishedPowersResponse => public::list_published_powers;
        list_published_posts("ListPublishedPosts", ListPublishedPostsRequest) -> ListPublishedPostsResponse => public::list_published_posts;
    }
}

/// The effective time of a change: given (not in the future) or now.
pub(crate) fn effective(
    v: &mut probity_common::Violations,
    t: Option<&prost_types::Timestamp>,
    now: chrono::DateTime<chrono::Utc>,
) -> i64 {
    match t {
        None => now.timestamp_micros(),
        Some(ts) => match probity_common::names::from_ts(ts) {
            None => {
                v.add("effective_time", "is not a valid timestamp");
                now.timestamp_micros()
            }
            Some(t) if t > now + chrono::Duration::seconds(60) => {
                v.add("effective_time", "must not be in the future");
                now.timestamp_micros()
            }
            Some(t) if t.timestamp_micros() < probity_rules::city::earliest_us() => {
                v.add(
                    "effective_time",
                    format!(
                        "must not be before {} (the city's time)",
                        probity_rules::city::EARLIEST_YEAR
                    ),
                );
                now.timestamp_micros()
            }
            Some(t) => t.timestamp_micros(),
        },
    }
}

pub(crate) use probity_common::names::us_ts;
