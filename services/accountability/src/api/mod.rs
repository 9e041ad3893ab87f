//! The gRPC surface of accountability: each method validates, checks scope
//! and delegates to the module that owns the work.
use std::sync::Arc;

pub use probity_common::dispatch::Ctx;
use probity_proto::accountability::v1::{accountability_service_server::AccountabilityService, *};

use crate::Accountability;

mod cases;
pub(crate) mod checks;
mod commendations;
pub(crate) mod convert;
mod notices;
mod orders;
mod read;
mod referrals;

pub struct AccountabilityApi(pub Arc<Accountability>);

/// Answers a retry from the stored response before the handler asks the
/// registry or intake anything (they may be down; the first call went through).
macro_rules! replay_first {
    ($acc:expr, $ctx:expr, $r:expr) => {
        if let Some(done) = $acc
            .store
            .replay(&$ctx.principal, $ctx.method, &$r.request_id, &$r)
            .await?
        {
            return Ok(done);
        }
    };
}
pub(crate) use replay_first;

probity_common::rpc_methods! {
    impl AccountabilityService for AccountabilityApi as "probity.accountability.v1.AccountabilityService" {
        list_grounds("ListGrounds", ListGroundsRequest) -> ListGroundsResponse => read::list_grounds;
        list_severity_rules("ListSeverityRules", ListSeverityRulesRequest) -> ListSeverityRulesResponse => read::list_severity_rules;
        open_case("OpenCase", OpenCaseRequest) -> Case => cases::open_case;
        raise_from_finding("RaiseFromFinding", RaiseFromFindingRequest) -> RaiseCaseResponse => cases::raise_from_finding;
        raise_from_flag("RaiseFromFlag", RaiseFromFlagRequest) -> RaiseCaseResponse => cases::raise_from_flag;
        sweep_findings("SweepFindings", SweepFindingsRequest) -> SweepFindingsResponse => sweep_findings;
        add_evidence("AddEvidence", AddEvidenceRequest) -> Case => cases::add_evidence;
        start_investigation("StartInvestigation", StartInvestigationRequest) -> Case => cases::start_investigation;
        propose_decision("ProposeDecision", ProposeDecisionRequest) -> Case => cases::propose_decision;
        decide_case("DecideCase", DecideCaseRequest) -> Case => cases::decide_case;
        contest_decision("ContestDecision", ContestDecisionRequest) -> Case => cases::contest_decision;
        resolve_contest("ResolveContest", ResolveContestRequest) -> Case => cases::resolve_contest;
        execute_decision("ExecuteDecision", ExecuteDecisionRequest) -> Case => cases::execute_decision;
        close_case("CloseCase", CloseCaseRequest) -> Case => cases::close_case;
        dismiss_case("DismissCase", DismissCaseRequest) -> Case => cases::dismiss_case;
        get_case("GetCase", GetCaseRequest) -> Case => read::get_case;
        list_cases("ListCases", ListCasesRequest) -> ListCasesResponse => read::list_cases;
        list_case_events("ListCaseEvents", ListCaseEventsRequest) -> ListCaseEventsResponse => read::list_case_events;
        create_order("CreateOrder", CreateOrderRequest) -> CorrectionOrder => orders::create_order;
        answer_order("AnswerOrder", AnswerOrderRequest) -> CorrectionOrder => orders::answer_order;
        get_order("GetOrder", GetOrderRequest) -> CorrectionOrder => orders::get_order;
        list_orders("ListOrders", ListOrdersRequest) -> ListOrdersResponse => orders::list_orders;
        record_commendation("RecordCommendation", RecordCommendationRequest) -> RecordCommendationResponse => commendations::record_commendation;
        list_commendations("ListCommendations", ListCommendationsRequest) -> ListCommendationsResponse => commendations::list_commendations;
        get_notice("GetNotice", GetNoticeRequest) -> Notice => notices::get_notice;
        list_notices("ListNotices", ListNoticesRequest) -> ListNoticesResponse => notices::list_notices;
        render_notice("RenderNotice", RenderNoticeRequest) -> RenderNoticeResponse => notices::render_notice;
        get_referral("GetReferral", GetReferralRequest) -> Referral => referrals::get_referral;
        list_referrals("ListReferrals", ListReferralsRequest) -> ListReferralsResponse => referrals::list_referrals;
        record_referral_receipt("RecordReferralReceipt", RecordReferralReceiptRequest) -> Referral => referrals::record_referral_receipt;
        record_referral_answer("RecordReferralAnswer", RecordReferralAnswerRequest) -> Referral => referrals::record_referral_answer;
    }
}

async fn sweep_findings(
    acc: &Accountability,
    _ctx: &Ctx,
    _r: SweepFindingsRequest,
) -> probity_common::AppResult<SweepFindingsResponse> {
    Ok(SweepFindingsResponse {
        cases: crate::finding_sweep::sweep(acc).await?,
    })
}
