//! The gRPC surface of the rankings service: each method checks its input
//! and scope, then asks runs.rs or the store.
use std::sync::Arc;

use probity_proto::rankings::v1::{rankings_service_server::RankingsService, *};
use tonic::{Request, Response, Status, Streaming};

use crate::Rankings;

mod checks;
mod read;
mod record;
pub(crate) mod reports;
mod superior;

pub use probity_common::dispatch::Ctx;

pub struct RankingsApi(pub Arc<Rankings>);

probity_common::rpc_methods! {
    impl RankingsService for RankingsApi as "probity.rankings.v1.RankingsService" {
        get_run("GetRun", GetRunRequest) -> Run => read::get_run;
        list_runs("ListRuns", ListRunsRequest) -> ListRunsResponse => read::list_runs;
        list_rankings("ListRankings", ListRankingsRequest) -> ListRankingsResponse => read::list_rankings;
        get_ranking("GetRanking", GetRankingRequest) -> Ranking => read::get_ranking;
        record_superior_assessment("RecordSuperiorAssessment", RecordSuperiorAssessmentRequest) -> SuperiorAssessment => superior::record;
        list_superior_assessments("ListSuperiorAssessments", ListSuperiorAssessmentsRequest) -> ListSuperiorAssessmentsResponse => superior::list;
        list_reports("ListReports", ListReportsRequest) -> ListReportsResponse => reports::list;
    }

    type DownloadReportStream = reports::Download;

    async fn download_report(
        &self,
        req: Request<DownloadReportRequest>,
    ) -> Result<Response<Self::DownloadReportStream>, Status> {
        let ctx = Ctx::from_request(&req, "/probity.rankings.v1.RankingsService/DownloadReport")?;
        Ok(Response::new(
            reports::download(self.0.clone(), &ctx, req.into_inner()).await?,
        ))
    }

    async fn upload_report(
        &self,
        req: Request<Streaming<UploadReportRequest>>,
    ) -> Result<Response<Report>, Status> {
        let ctx = Ctx::from_request(&req, "/probity.rankings.v1.RankingsService/UploadReport")?;
        Ok(Response::new(
            reports::upload(&self.0, &ctx, req.into_inner()).await?,
        ))
    }

    async fn record_run(
        &self,
        req: Request<Streaming<RecordRunRequest>>,
    ) -> Result<Response<Run>, Status> {
        let ctx = Ctx::from_request(&req, "/probity.rankings.v1.RankingsService/RecordRun")?;
        Ok(Response::new(
            record::record_run(&self.0, &ctx, req.into_inner()).await?,
        ))
    }
}
