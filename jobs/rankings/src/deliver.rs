//! Delivering a run's reports to the rankings service, which stores and
//! serves them (UploadReport, DownloadReport): the run declares them with
//! their digests when it is recorded, then each is uploaded in chunks. The
//! job's folder is only a cache: leadership reads the reports over the API.
use std::path::Path;

use probity_proto::rankings::v1::{
    Report, ReportFile, UploadReportHeader, UploadReportRequest,
    rankings_service_client::RankingsServiceClient, upload_report_request::Part,
};

use crate::{extract::Peers, output::Manifest};

/// Bytes an upload message carries.
const CHUNK: usize = 1 << 20;

/// Attempts per report while the service is unavailable.
const ATTEMPTS: u32 = 4;

/// The files a run declares and uploads: what people read (the workbook,
/// the HTML report, the CSV tables, the year's notices), not the Parquet
/// tables, whose rows the service already holds.
pub fn declared(m: &Manifest) -> Vec<ReportFile> {
    m.outputs
        .iter()
        .filter(|f| !f.file.ends_with(".parquet"))
        .map(|f| ReportFile {
            path: f.file.clone(),
            sha256: f.sha256.clone(),
            size_bytes: f.bytes as i64,
        })
        .collect()
}

/// The request id of one report's upload: the same for every attempt and
/// every rerun of the job on the same run, so a retry is answered once.
fn request_id(run: &str, path: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("{run}/{path}").as_bytes(),
    )
    .to_string()
}

/// Uploads every declared report of `run` from `out`; the bytes read are
/// checked against the declaration first (a file changed since the run
/// wrote it is not sent).
pub async fn upload(
    peers: &Peers,
    out: &Path,
    run: &str,
    files: &[ReportFile],
) -> anyhow::Result<Vec<Report>> {
    let mut done = Vec::with_capacity(files.len());
    for f in files {
        let bytes = std::fs::read(out.join(&f.path))?;
        let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes));
        anyhow::ensure!(
            sha == f.sha256,
            "{}: changed since the run wrote it (SHA-256 {sha}, declared {})",
            f.path,
            f.sha256
        );
        done.push(upload_one(peers, run, f, &bytes).await?);
    }
    Ok(done)
}

async fn upload_one(
    peers: &Peers,
    run: &str,
    f: &ReportFile,
    bytes: &[u8],
) -> anyhow::Result<Report> {
    let header = UploadReportHeader {
        request_id: request_id(run, &f.path),
        name: format!("{run}/reports/{}", f.path),
        sha256: f.sha256.clone(),
        size_bytes: f.size_bytes,
    };
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut messages = vec![UploadReportRequest {
            part: Some(Part::Header(header.clone())),
        }];
        messages.extend(bytes.chunks(CHUNK).map(|c| UploadReportRequest {
            part: Some(Part::Data(c.to_vec())),
        }));
        let mut client = RankingsServiceClient::new(peers.rankings.channel());
        match peers
            .rankings
            .call(
                "the rankings service",
                client.upload_report(futures::stream::iter(messages)),
            )
            .await
        {
            Ok(r) => return Ok(r),
            Err(probity_common::peer::PeerError::Unavailable(e)) if attempt < ATTEMPTS => {
                tracing::warn!(report = %header.name, error = %e, attempt, "upload again");
                tokio::time::sleep(std::time::Duration::from_secs(1 << attempt)).await;
            }
            Err(e) => anyhow::bail!("UploadReport {}: {e}", header.name),
        }
    }
}
