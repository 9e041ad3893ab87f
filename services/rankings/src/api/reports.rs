//! A run's reports: uploaded by the job as the run declared them when it was
//! recorded (the digest and size in the run's record and its audit entry),
//! listed and downloaded by leadership. Bytes that are not the declared ones
//! are refused whoever sends them, so a report once made cannot be swapped.
use std::{collections::HashMap, sync::Arc};

use probity_common::{
    AppError, AppResult, Reason, Violations,
    names::{check_request_id, page, page_of, parse_top, us_ts},
};
use probity_proto::rankings::v1::{
    DownloadReportRequest, DownloadReportResponse, ListReportsRequest, ListReportsResponse, Report,
    ReportFile, Run, UploadReportHeader, UploadReportRequest, upload_report_request::Part,
};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Status, Streaming};

use super::Ctx;
use crate::{
    Rankings,
    store::{
        self,
        reports::{CHUNK_BYTES, Stored},
    },
};

/// The largest report a run may declare (a city's workbook is a few MiB).
pub const MAX_REPORT_BYTES: i64 = 256 << 20;

/// A report's path under its run: one or two segments of letters, digits,
/// `.`, `-` and `_` (`report.html`, `notices/{notice}.html`), none of them
/// `.` or `..`.
pub fn valid_path(path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').collect();
    path.len() <= 200
        && segments.len() <= 2
        && segments.iter().all(|s| {
            !s.is_empty()
                && *s != "."
                && *s != ".."
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        })
}

/// `runs/{run}/reports/{path}` -> (run id, path).
fn parse_name(name: &str) -> Option<(String, String)> {
    let rest = name.strip_prefix("runs/")?;
    let (run, path) = rest.split_once("/reports/")?;
    let run = parse_top(&format!("runs/{run}"), "runs")?;
    valid_path(path).then(|| (run, path.to_string()))
}

fn name_of(run_id: &str, path: &str) -> String {
    format!("runs/{run_id}/reports/{path}")
}

/// The content type a reader's browser needs, from the path alone: the
/// uploader does not choose how a report is opened.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("csv") => "text/csv; charset=utf-8",
        Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Some("json") => "application/json",
        Some("parquet") => "application/vnd.apache.parquet",
        _ => "application/octet-stream",
    }
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn to_proto(run_id: &str, declared: &ReportFile, stored: Option<&Stored>) -> Report {
    Report {
        name: name_of(run_id, &declared.path),
        content_type: content_type(&declared.path).to_string(),
        size_bytes: declared.size_bytes,
        sha256: declared.sha256.clone(),
        upload_time: stored.and_then(|s| us_ts(s.uploaded_us)),
    }
}

async fn run_of(rankings: &Rankings, run_id: &str) -> AppResult<Run> {
    store::run(&rankings.store.db, run_id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("runs/{run_id}")))
}

/// The run's declaration of `path`, or NOT_FOUND: a run takes no report it
/// did not declare.
fn declared<'a>(run: &'a Run, run_id: &str, path: &str) -> AppResult<&'a ReportFile> {
    run.reports
        .iter()
        .find(|f| f.path == path)
        .ok_or_else(|| AppError::not_found(name_of(run_id, path)))
}

fn check_header(h: &UploadReportHeader) -> AppResult<(String, String)> {
    let mut v = Violations::new();
    check_request_id(&mut v, &h.request_id);
    let parsed = parse_name(&h.name);
    v.check(
        parsed.is_some(),
        "header.name",
        "must be runs/{run}/reports/{path}",
    );
    v.check(
        is_sha256(&h.sha256),
        "header.sha256",
        "64 lowercase hex digits",
    );
    v.check(
        (0..=MAX_REPORT_BYTES).contains(&h.size_bytes),
        "header.size_bytes",
        format!("0 to {MAX_REPORT_BYTES}"),
    );
    v.finish()?;
    Ok(parsed.unwrap_or_default())
}

pub async fn upload(
    rankings: &Rankings,
    ctx: &Ctx,
    mut stream: Streaming<UploadReportRequest>,
) -> Result<Report, Status> {
    let h = match stream.message().await? {
        Some(UploadReportRequest {
            part: Some(Part::Header(h)),
        }) => h,
        _ => {
            return Err(AppError::invalid(
                "header",
                "the first message of the stream is the header",
            )
            .into());
        }
    };
    let (run_id, path) = check_header(&h)?;
    // A retry is answered before its bytes are read again.
    if let Some(done) = rankings
        .store
        .replay::<Report>(&ctx.principal, ctx.method, &h.request_id, &h)
        .await?
    {
        return Ok(done);
    }
    let run = run_of(rankings, &run_id).await?;
    let want = declared(&run, &run_id, &path)?;
    if want.sha256 != h.sha256 || want.size_bytes != h.size_bytes {
        return Err(AppError::refused(
            Reason::ReportNotAsDeclared,
            format!(
                "{} was declared by its run as {} bytes with SHA-256 {}: refusing other bytes",
                h.name, want.size_bytes, want.sha256
            ),
        )
        .into());
    }
    // The bytes, never more than declared, checked whole before anything
    // is written.
    let mut bytes = Vec::with_capacity(h.size_bytes as usize);
    let mut hash = Sha256::new();
    while let Some(m) = stream.message().await? {
        let Some(Part::Data(data)) = m.part else {
            return Err(AppError::invalid("header", "one header per stream, first").into());
        };
        if (bytes.len() + data.len()) as i64 > h.size_bytes {
            return Err(AppError::invalid(
                "data",
                format!("more than header.size_bytes ({}) bytes", h.size_bytes),
            )
            .into());
        }
        hash.update(&data);
        bytes.extend_from_slice(&data);
    }
    let mut v = Violations::new();
    v.check(
        bytes.len() as i64 == h.size_bytes,
        "header.size_bytes",
        format!("{} bytes were sent", bytes.len()),
    );
    v.check(
        hex::encode(hash.finalize()) == h.sha256,
        "header.sha256",
        "is not the SHA-256 of the bytes sent",
    );
    v.finish()?;
    let mut w = rankings
        .store
        .write(&ctx.principal, ctx.method, &h.request_id, &h)
        .await?;
    if let Some(done) = w.replayed::<Report>()? {
        return Ok(done);
    }
    // Stored already (another upload of the same bytes): the same answer.
    if let Some(s) = store::reports::one(w.txn(), &run_id, &path).await? {
        return Ok(to_proto(&run_id, want, Some(&s)));
    }
    let s = Stored {
        path: path.clone(),
        sha256: h.sha256.clone(),
        size_bytes: h.size_bytes,
        content_type: content_type(&path).to_string(),
        chunks: bytes.len().div_ceil(CHUNK_BYTES) as i64,
        uploaded_us: chrono::Utc::now().timestamp_micros(),
    };
    store::reports::insert(w.txn(), &run_id, &s, &bytes).await?;
    w.audit(
        &h.name,
        serde_json::json!({
            "op": "upload_report", "sha256": s.sha256, "size_bytes": s.size_bytes,
        }),
    )
    .await?;
    Ok(w.commit(to_proto(&run_id, want, Some(&s))).await?)
}

pub async fn list(
    rankings: &Rankings,
    _: &Ctx,
    r: ListReportsRequest,
) -> AppResult<ListReportsResponse> {
    let mut v = Violations::new();
    let run_id = parse_top(&r.parent, "runs");
    v.check(run_id.is_some(), "parent", "must be runs/{run}");
    let p = page(&mut v, r.page_size, &r.page_token, &r.parent);
    v.finish()?;
    let run_id = run_id.unwrap_or_default();
    let run = run_of(rankings, &run_id).await?;
    let stored: HashMap<String, Stored> = store::reports::of_run(&rankings.store.db, &run_id)
        .await?
        .into_iter()
        .map(|s| (s.path.clone(), s))
        .collect();
    let (files, next_page_token) = page_of(run.reports, &p, &r.parent, |f| f.path.clone());
    Ok(ListReportsResponse {
        reports: files
            .iter()
            .map(|f| to_proto(&run_id, f, stored.get(&f.path)))
            .collect(),
        next_page_token,
    })
}

pub type Download = ReceiverStream<Result<DownloadReportResponse, Status>>;

/// The report first, then its bytes a stored chunk a message, read one at a
/// time so a large report never sits whole in memory.
pub async fn download(
    rankings: Arc<Rankings>,
    _: &Ctx,
    r: DownloadReportRequest,
) -> AppResult<Download> {
    let Some((run_id, path)) = parse_name(&r.name) else {
        return Err(AppError::invalid(
            "name",
            "must be runs/{run}/reports/{path}",
        ));
    };
    let run = run_of(&rankings, &run_id).await?;
    let want = declared(&run, &run_id, &path)?.clone();
    let Some(s) = store::reports::one(&rankings.store.db, &run_id, &path).await? else {
        return Err(AppError::not_found(format!(
            "{} (declared by its run, not uploaded yet)",
            r.name
        )));
    };
    let (tx, rx) = mpsc::channel(2);
    tokio::spawn(async move {
        let mut report = Some(to_proto(&run_id, &want, Some(&s)));
        // The stored bytes are checked against the declaration as they go:
        // rows edited in the database end the stream with DATA_LOSS.
        let mut hash = Sha256::new();
        for seq in 0..s.chunks.max(1) {
            let data = if s.chunks == 0 {
                Vec::new()
            } else {
                match store::reports::chunk(&rankings.store.db, &run_id, &path, seq).await {
                    Ok(Some(d)) => d,
                    Ok(None) => {
                        let e = AppError::internal(format!("{}: chunk {seq} missing", r.name));
                        let _ = tx.send(Err(e.into())).await;
                        return;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e.into())).await;
                        return;
                    }
                }
            };
            hash.update(&data);
            let m = DownloadReportResponse {
                report: report.take(),
                data,
            };
            if tx.send(Ok(m)).await.is_err() {
                return;
            }
        }
        if hex::encode(hash.finalize()) != want.sha256 {
            tracing::error!(report = %r.name, "stored bytes differ from the declared SHA-256");
            let _ = tx
                .send(Err(Status::data_loss(format!(
                    "{}: the stored bytes are not the ones the run declared",
                    r.name
                ))))
                .await;
        }
    });
    Ok(ReceiverStream::new(rx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_under_their_run() {
        for ok in ["report.html", "notices/0a1b.html", "officers.csv"] {
            assert!(valid_path(ok), "{ok}");
        }
        for bad in [
            "", "../x", "a/../b", "a/b/c", "/x", "x/", "a b", "..", "a\\b",
        ] {
            assert!(!valid_path(bad), "{bad}");
        }
        assert_eq!(
            parse_name("runs/abc/reports/notices/n1.html"),
            Some(("abc".into(), "notices/n1.html".into()))
        );
        assert_eq!(parse_name("runs/a/b/reports/x.html"), None);
    }
}
