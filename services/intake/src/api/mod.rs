//! The gRPC surface of intake: each method validates, checks scope and
//! delegates to the module that owns the work.
use std::{pin::Pin, sync::Arc};

use futures::Stream;
use probity_common::auth::Principal;
use probity_proto::intake::v1::{intake_service_server::IntakeService, *};
use tonic::{Request, Response, Status, Streaming};

use crate::Intake;

mod export;
mod read;
mod rulings;
mod stream;
mod submit;

/// Who calls which method: what the audit chain records.
pub struct Ctx {
    pub principal: Principal,
    pub method: &'static str,
}

pub struct IntakeApi(pub Arc<Intake>);

type Out<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

fn ctx<T>(req: &Request<T>, m: &'static str) -> Result<Ctx, Status> {
    Ok(Ctx {
        principal: Principal::from_request(req)?,
        method: m,
    })
}

/// The service impl: unary methods from the table, streaming ones as written.
macro_rules! service {
    ($(unary $name:ident($m:literal, $req:ty) -> $resp:ty => $f:path;)* streaming { $($extra:item)* }) => {
        #[tonic::async_trait]
        impl IntakeService for IntakeApi {
            $(
                async fn $name(&self, req: Request<$req>) -> Result<Response<$resp>, Status> {
                    let ctx = ctx(&req, concat!("/probity.intake.v1.IntakeService/", $m))?;
                    Ok(Response::new($f(&self.0, &ctx, req.into_inner()).await?))
                }
            )*
            $($extra)*
        }
    };
}

service! {
        unary submit_fact("SubmitFact", SubmitFactRequest) -> Fact => submit::submit_fact;
        unary void_fact("VoidFact", VoidFactRequest) -> Fact => submit::void_fact;
        unary get_fact("GetFact", GetFactRequest) -> Fact => read::get_fact;
        unary lookup_fact("LookupFact", LookupFactRequest) -> Fact => read::lookup_fact;
        unary batch_lookup_facts("BatchLookupFacts", BatchLookupFactsRequest) -> BatchLookupFactsResponse => read::batch_lookup_facts;
        unary list_fact_revisions("ListFactRevisions", ListFactRevisionsRequest) -> ListFactRevisionsResponse => read::list_fact_revisions;
        unary list_facts("ListFacts", ListFactsRequest) -> ListFactsResponse => read::list_facts;
        unary count_facts("CountFacts", CountFactsRequest) -> CountFactsResponse => read::count_facts;
        unary list_findings("ListFindings", ListFindingsRequest) -> ListFindingsResponse => read::list_findings;
        unary count_findings("CountFindings", CountFindingsRequest) -> CountFindingsResponse => read::count_findings;
        unary get_finding("GetFinding", GetFindingRequest) -> Finding => rulings::get_finding;
        unary clear_finding("ClearFinding", ClearFindingRequest) -> Finding => rulings::clear_finding;
        unary uphold_finding("UpholdFinding", UpholdFindingRequest) -> Finding => rulings::uphold_finding;
    streaming {

    type SubmitFactsStream = Out<SubmitFactsResponse>;

    async fn submit_facts(
        &self,
        req: Request<Streaming<SubmitFactsRequest>>,
    ) -> Result<Response<Self::SubmitFactsStream>, Status> {
        let ctx = ctx(&req, "/probity.intake.v1.IntakeService/SubmitFacts")?;
        Ok(Response::new(Box::pin(stream::submit_facts(
            self.0.clone(),
            ctx,
            req.into_inner(),
        ))))
    }

    type ExportFactsStream = Out<ExportFactsResponse>;

    async fn export_facts(
        &self,
        req: Request<ExportFactsRequest>,
    ) -> Result<Response<Self::ExportFactsStream>, Status> {
        let ctx = ctx(&req, "/probity.intake.v1.IntakeService/ExportFacts")?;
        let s = export::export_facts(self.0.clone(), ctx, req.into_inner())?;
        Ok(Response::new(Box::pin(s)))
    }
}
}
