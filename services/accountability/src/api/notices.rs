//! Notices (通报): read one, list them, and render one as HTML or PDF.
//! Issued by the service only (`crate::notices`); circulated to every
//! enforcement unit, so every reader sees all of them.
use probity_common::{
    AppError, AppResult, Reason, Violations,
    names::{next_token, page, parse_top},
};
use probity_proto::accountability::v1::*;

use super::{Ctx, convert};
use crate::{
    Accountability,
    notices::{self, NoticeRecord, pdf::NoticeFont},
    store::{self, notices::NoticeRow},
};

/// The issued notice `name`, or NOT_FOUND (a queued one is not issued yet).
async fn issued(acc: &Accountability, name: &str) -> AppResult<(NoticeRow, NoticeRecord)> {
    let mut v = Violations::new();
    let id = parse_top(name, "notices");
    if id.is_none() {
        v.add("name", "must be notices/{notice}");
    }
    v.finish()?;
    let row = store::notices::load(&acc.store.db, &id.unwrap_or_default()).await?;
    match row {
        Some(mut row) if row.state == store::notices::ISSUED => match row.record.take() {
            Some(record) => Ok((row, record)),
            None => Err(AppError::not_found(format!("{name} does not exist"))),
        },
        _ => Err(AppError::not_found(format!("{name} does not exist"))),
    }
}

pub async fn get_notice(acc: &Accountability, _: &Ctx, r: GetNoticeRequest) -> AppResult<Notice> {
    let (row, record) = issued(acc, &r.name).await?;
    Ok(convert::notice_out(&row.id, &record))
}

pub async fn list_notices(
    acc: &Accountability,
    _: &Ctx,
    r: ListNoticesRequest,
) -> AppResult<ListNoticesResponse> {
    let mut v = Violations::new();
    v.check(
        r.year == 0 || (2000..=2100).contains(&r.year),
        "year",
        "must be 0 or a year 2000-2100",
    );
    let kind = NoticeKind::try_from(r.kind);
    if kind.is_err() {
        v.add("kind", "unknown kind");
    }
    let source_ok = r.source.is_empty()
        || parse_top(&r.source, "cases").is_some()
        || parse_top(&r.source, "commendations").is_some();
    v.check(
        source_ok,
        "source",
        "must be cases/{case} or commendations/{commendation}",
    );
    let subject_ok = r.subject.is_empty()
        || parse_top(&r.subject, "bodies").is_some()
        || parse_top(&r.subject, "officers").is_some();
    v.check(
        subject_ok,
        "subject",
        "must be bodies/{body} or officers/{officer}",
    );
    let body = parse_top(&r.body, "bodies");
    v.check(
        r.body.is_empty() || body.is_some(),
        "body",
        "must be bodies/{body}",
    );
    let filter_key = format!(
        "{}|{}|{}|{}|{}",
        r.year, r.kind, r.source, r.subject, r.body
    );
    let p = page(&mut v, r.page_size, &r.page_token, &filter_key);
    v.finish()?;
    let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let listing = store::notices::Listing {
        year: (r.year != 0).then_some(r.year),
        kind: (r.kind != 0).then_some(r.kind),
        source: some(&r.source),
        subject: some(&r.subject),
        under: body,
        after: p.after.clone(),
    };
    let rows = store::notices::page(&acc.store.db, &listing, p.size).await?;
    let last = rows.last().map(|r| r.id.clone());
    let notices: Vec<Notice> = rows
        .iter()
        .filter_map(|r| r.record.as_ref().map(|n| convert::notice_out(&r.id, n)))
        .collect();
    Ok(ListNoticesResponse {
        next_page_token: next_token(rows.len(), &p, last.as_deref(), &filter_key),
        notices,
    })
}

pub async fn render_notice(
    acc: &Accountability,
    _: &Ctx,
    r: RenderNoticeRequest,
) -> AppResult<RenderNoticeResponse> {
    let format = NoticeFormat::try_from(r.format).unwrap_or_default();
    if format == NoticeFormat::Unspecified {
        let mut v = Violations::new();
        v.add("format", "must be NOTICE_FORMAT_HTML or NOTICE_FORMAT_PDF");
        if parse_top(&r.name, "notices").is_none() {
            v.add("name", "must be notices/{notice}");
        }
        v.finish()?;
    }
    let (_, record) = issued(acc, &r.name).await?;
    let (content_type, data) = match format {
        NoticeFormat::Pdf => {
            let font = acc
                .notice_font
                .get_or_init(|| NoticeFont::load(&acc.settings.notices.font));
            let font = font
                .as_ref()
                .map_err(|problem| AppError::refused(Reason::NoticeFontMissing, problem.clone()))?;
            // Laying out and writing a PDF is CPU work: off the async threads.
            let (record, font) = (record.clone(), font.clone());
            let pdf = tokio::task::spawn_blocking(move || notices::pdf::render(&record, &font))
                .await
                .map_err(AppError::internal)?
                .map_err(AppError::internal)?;
            ("application/pdf", pdf)
        }
        _ => (
            "text/html; charset=utf-8",
            notices::html::render(&record).into_bytes(),
        ),
    };
    Ok(RenderNoticeResponse {
        content_type: content_type.into(),
        sha256: probity_common::audit::sha256_hex(&data),
        data,
    })
}
