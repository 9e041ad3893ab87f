//! Superior assessments (Art. 4): a vertically managed body's grade from its
//! superior department, reported to the legal-affairs office and kept beside
//! the city's ranking, never counted in it.
//!
//! - Only the office records one (policy: Admin): the body assessed must not
//!   write its own grade.
//! - Only for a body the registry marks vertically managed, as the registry
//!   says now (asked over gRPC; never the caller's word).
//! - A sealed year still takes one: the superior's grade usually arrives
//!   after the city has sealed its year, it changes no score or rank of the
//!   sealed run, and refusing it would lose the record Art. 4 asks to keep.
//! - Sent again as it reads, it changes nothing; reading otherwise it needs a
//!   correction_reason and becomes the next revision, the earlier ones kept.
use chrono::{Datelike, NaiveDate};
use probity_common::{
    AppError, AppResult, Reason, Violations, body_scope,
    db::Filter,
    names::{
        body_name, check_request_id, enum_field, page, page_of, parse_top, required, top_field,
        us_ts,
    },
};
use probity_proto::rankings::v1::*;
use serde_json::json;

use super::Ctx;
use crate::{Rankings, store::superior::Row};

const COLLECTION: &str = "superiorAssessments";

fn name_of(body: &str, year: i32) -> String {
    format!("{}/{COLLECTION}/{year}", body_name(body))
}

fn to_proto(r: Row) -> SuperiorAssessment {
    SuperiorAssessment {
        name: name_of(&r.body, r.year),
        body: body_name(&r.body),
        year: r.year,
        grade: r.grade,
        score: r.score,
        superior: r.superior,
        document: r.document,
        assessed_date: r.assessed_date,
        note: r.note,
        revision: r.revision,
        correction_reason: r.correction_reason,
        body_display_name: r.body_display_name,
        create_time: us_ts(r.created_us),
        recorder: r.recorder,
    }
}

/// Today in the city: a superior's document is not dated later.
fn city_today() -> NaiveDate {
    chrono::Utc::now()
        .with_timezone(&probity_rules::city::city())
        .date_naive()
}

/// Every bad field at once; the body's id.
fn check(r: &RecordSuperiorAssessmentRequest) -> AppResult<String> {
    let mut v = Violations::new();
    check_request_id(&mut v, &r.request_id);
    let Some(a) = required(
        &mut v,
        r.superior_assessment.as_ref(),
        "superior_assessment",
    ) else {
        return Err(v.into_error());
    };
    let f = |n: &str| format!("superior_assessment.{n}");
    let body = top_field(&mut v, &a.body, "bodies", &f("body"));
    let year_ok = (2000..=2100).contains(&a.year);
    v.check(year_ok, f("year"), "a year 2000-2100");
    let grade = enum_field::<SuperiorGrade>(&mut v, a.grade, &f("grade"), true);
    if let Some(s) = a.score {
        v.check(
            s.is_finite() && (0.0..=100.0).contains(&s),
            f("score"),
            "0 to 100",
        );
    }
    v.check(
        a.score.is_some() || grade.is_some_and(|g| g != SuperiorGrade::Unspecified),
        f("grade"),
        "a grade, a score or both",
    );
    for (field, text, max) in [
        ("superior", &a.superior, 200),
        ("document", &a.document, 200),
    ] {
        v.non_empty(text, &f(field));
        v.max_len(text, max, &f(field));
    }
    v.max_len(&a.note, 2000, &f("note"));
    match NaiveDate::parse_from_str(&a.assessed_date, "%Y-%m-%d") {
        Err(_) => v.add(f("assessed_date"), "YYYY-MM-DD"),
        Ok(d) => {
            // assessed during or after the year, never ahead of today
            if year_ok && d.year() < a.year {
                v.add(f("assessed_date"), "not before the year assessed");
            }
            if d > city_today() {
                v.add(f("assessed_date"), "not in the future");
            }
        }
    }
    v.max_len(&r.correction_reason, 2000, "correction_reason");
    v.finish()?;
    Ok(body)
}

pub async fn record(
    rankings: &Rankings,
    ctx: &Ctx,
    r: RecordSuperiorAssessmentRequest,
) -> AppResult<SuperiorAssessment> {
    let body = check(&r)?;
    // A retry is answered before asking the registry, which may be down.
    if let Some(done) = rankings
        .store
        .replay(&ctx.principal, ctx.method, &r.request_id, &r)
        .await?
    {
        return Ok(done);
    }
    let a = r.superior_assessment.clone().unwrap_or_default();
    let known = rankings
        .peers
        .body(&a.body, "superior_assessment.body")
        .await?;
    if !known.body.vertically_managed {
        return Err(AppError::refused(
            Reason::NotVerticallyManaged,
            format!(
                "{} ({}) is not vertically managed in the registry: only a vertically managed body's superior assessment is reported to the office (Art. 4)",
                a.body, known.body.display_name
            ),
        ));
    }
    let mut w = rankings
        .store
        .write(&ctx.principal, ctx.method, &r.request_id, &r)
        .await?;
    if let Some(done) = w.replayed::<SuperiorAssessment>()? {
        return Ok(done);
    }
    let now = chrono::Utc::now();
    let mut row = Row {
        body: body.clone(),
        year: a.year,
        revision: 1,
        grade: a.grade,
        score: a.score,
        superior: a.superior.trim().to_string(),
        document: a.document.trim().to_string(),
        assessed_date: a.assessed_date.clone(),
        note: a.note.trim().to_string(),
        correction_reason: String::new(),
        body_display_name: known.body.display_name.clone(),
        body_path: known.path.clone(),
        recorder: ctx.principal.subject.clone(),
        created_us: now.timestamp_micros(),
    };
    let reason = r.correction_reason.trim();
    match crate::store::superior::current(w.txn(), &body, a.year).await? {
        Some(cur) if cur.same_content(&row) => return Ok(to_proto(cur)),
        Some(cur) if reason.is_empty() => {
            return Err(AppError::refused(
                Reason::SuperiorAssessmentConflict,
                format!(
                    "{} already holds revision {} reading otherwise: send a correction_reason to record revision {}",
                    name_of(&body, a.year),
                    cur.revision,
                    cur.revision + 1
                ),
            ));
        }
        Some(cur) => {
            row.revision = cur.revision + 1;
            row.correction_reason = reason.to_string();
        }
        None if !reason.is_empty() => {
            return Err(AppError::invalid(
                "correction_reason",
                "nothing to correct: the body's year has no superior assessment yet",
            ));
        }
        None => {}
    }
    crate::store::superior::insert(w.txn(), &row).await?;
    let out = to_proto(row);
    w.audit(
        &out.name,
        json!({
            "op": "record_superior_assessment", "revision": out.revision,
            "body": out.body, "year": out.year, "grade": out.grade, "score": out.score,
            "superior": out.superior, "document": out.document,
            "assessed_date": out.assessed_date, "note": out.note,
            "correction_reason": out.correction_reason,
        }),
    )
    .await?;
    w.commit(out).await
}

pub async fn list(
    rankings: &Rankings,
    ctx: &Ctx,
    r: ListSuperiorAssessmentsRequest,
) -> AppResult<ListSuperiorAssessmentsResponse> {
    let mut v = Violations::new();
    let body = if r.parent == "bodies/-" {
        None
    } else {
        let id = parse_top(&r.parent, "bodies");
        if id.is_none() {
            v.add("parent", "bodies/{body} or bodies/-");
        }
        id
    };
    v.check(
        r.year == 0 || (2000..=2100).contains(&r.year),
        "year",
        "0 (every year) or a year 2000-2100",
    );
    let key = format!("{}|{}|{}", r.parent, r.year, r.show_revisions);
    let p = page(&mut v, r.page_size, &r.page_token, &key);
    v.finish()?;
    let mut q = Filter::default();
    if let Some(b) = &body {
        q.and("body = $?", b.clone());
    }
    if r.year != 0 {
        q.and("year = $?", r.year);
    }
    if let Some(pat) = body_scope::read_pattern(&ctx.principal) {
        q.and("body_path LIKE $? ESCAPE '\\'", pat);
    }
    let mut rows = crate::store::superior::all(&rankings.store.db, q).await?;
    if !r.show_revisions {
        // the highest revision of each body's year (rows come ordered)
        let mut current: Vec<Row> = Vec::with_capacity(rows.len());
        for row in rows {
            match current.last_mut() {
                Some(last) if last.body == row.body && last.year == row.year => *last = row,
                _ => current.push(row),
            }
        }
        rows = current;
    }
    let (rows, next_page_token) = page_of(rows, &p, &key, |x| {
        format!("{:04}\u{1}{}\u{1}{:010}", x.year, x.body, x.revision)
    });
    Ok(ListSuperiorAssessmentsResponse {
        superior_assessments: rows.into_iter().map(to_proto).collect(),
        next_page_token,
    })
}
