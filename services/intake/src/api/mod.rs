//! The gRPC surface of intake: each method validates, checks scope and
//! delegates to the module that owns the work.
use std::{pin::Pin, sync::Arc};

use futures::Stream;
pub use probity_common::dispatch::Ctx;
use probity_proto::intake::v1::{intake_service_server::IntakeService, *};
use tonic::{Request, Response, Status, Streaming};

use crate::Intake;

mod export;
mod export_columns;
mod overdue;
pub(crate) mod public_results;
mod read;
mod rulings;
mod stream;
pub(crate) mod stream_bounds;
mod submit;

pub struct IntakeApi(pub Arc<Intake>);

type Out<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

probity_common::rpc_methods! {
    impl IntakeService for IntakeApi as "probity.intake.v1.IntakeService" {
        submit_fact("SubmitFact", SubmitFactRequest) -> Fact => submit::submit_fact;
        void_fact("VoidFact", VoidFactRequest) -> Fact => submit::void_fact;
        get_fact("GetFact", GetFactRequest) -> Fact => read::get_fact;
        lookup_fact("LookupFact", LookupFactRequest) -> Fact => read::lookup_fact;
        batch_lookup_facts("BatchLookupFacts", BatchLookupFactsRequest) -> BatchLookupFactsResponse => read::batch_lookup_facts;
        list_fact_revisions("ListFactRevisions", ListFactRevisionsRequest) -> ListFactRevisionsResponse => read::list_fact_revisions;
        list_facts("ListFacts", ListFactsRequest) -> ListFactsResponse => read::list_facts;
        count_facts("CountFacts", CountFactsRequest) -> CountFactsResponse => read::count_facts;
        list_findings("ListFindings", ListFindingsRequest) -> ListFindingsResponse => read::list_findings;
        count_findings("CountFindings", CountFindingsRequest) -> CountFindingsResponse => read::count_findings;
        get_finding("GetFinding", GetFindingRequest) -> Finding => rulings::get_finding;
        clear_finding("ClearFinding", ClearFindingRequest) -> Finding => rulings::clear_finding;
        uphold_finding("UpholdFinding", UpholdFindingRequest) -> Finding => rulings::uphold_finding;
        list_overdue_matters("ListOverdueMatters", ListOverdueMattersRequest) -> ListOverdueMattersResponse => overdue::list_overdue_matters;
        list_finding_rules("ListFindingRules", ListFindingRulesRequest) -> ListFindingRulesResponse => overdue::list_finding_rules;
    }

    type SubmitFactsStream = Out<SubmitFactsResponse>;

    async fn submit_facts(
        &self,
        req: Request<Streaming<SubmitFactsRequest>>,
    ) -> Result<Response<Self::SubmitFactsStream>, Status> {
        let ctx = Ctx::from_request(&req, "/probity.intake.v1.IntakeService/SubmitFacts")?;
        Ok(Response::new(Box::pin(stream::submit_facts(
            self.0.clone(),
            ctx,
            req.into_inner(),
        )?)))
    }

    type ExportFactsStream = Out<ExportFactsResponse>;

    async fn export_facts(
        &self,
        req: Request<ExportFactsRequest>,
    ) -> Result<Response<Self::ExportFactsStream>, Status> {
        let ctx = Ctx::from_request(&req, "/probity.intake.v1.IntakeService/ExportFacts")?;
        let s = export::export_facts(self.0.clone(), ctx, req.into_inner())?;
        Ok(Response::new(Box::pin(s)))
    }

    type ExportFactColumnsStream = Out<ExportFactColumnsResponse>;

    async fn export_fact_columns(
        &self,
        req: Request<ExportFactColumnsRequest>,
    ) -> Result<Response<Self::ExportFactColumnsStream>, Status> {
        let ctx = Ctx::from_request(&req, "/probity.intake.v1.IntakeService/ExportFactColumns")?;
        let s = export_columns::export_fact_columns(self.0.clone(), ctx, req.into_inner())?;
        Ok(Response::new(Box::pin(s)))
    }
}
