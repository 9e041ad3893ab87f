//! One finding, and the legal-affairs office's rulings on it. A department
//! reads its own findings but never rules on them: clearing a breach is the
//! office's call, recorded with who and why, in the audit chain.
use probity_common::{
    AppError, AppResult, Reason, Violations, auth::Role, body_scope, db::stmt,
    names::check_request_id,
};
use probity_proto::intake::v1::*;
use sea_orm::ConnectionTrait;

use super::Ctx;
use crate::{Intake, finding_states};

/// The finding named, read in `c`, if the caller may see its fact.
async fn read(
    c: &impl ConnectionTrait,
    ctx: &Ctx,
    (fact, revision, seq): (i64, i32, i32),
    name: &str,
) -> AppResult<Finding> {
    let sql = format!(
        "SELECT {}, f.source_id, f.body_path FROM intake_findings x \
         JOIN intake_facts f ON f.id = x.fact_id \
         WHERE x.fact_id = $1 AND x.revision = $2 AND x.seq = $3",
        finding_states::COLUMNS
    );
    let row = c
        .query_one_raw(stmt(
            c,
            &sql,
            vec![fact.into(), revision.into(), seq.into()],
        ))
        .await?
        .ok_or_else(|| AppError::not_found(name))?;
    let path: String = row.try_get("", "body_path")?;
    // Another department's findings are not there, as far as it can tell.
    body_scope::check(&ctx.principal, &path).map_err(|_| AppError::not_found(name))?;
    let mut f = finding_states::view(&row)?;
    f.source_id = row.try_get("", "source_id")?;
    Ok(f)
}

fn key(v: &mut Violations, name: &str) -> (i64, i32, i32) {
    finding_states::parse_finding_name(name).unwrap_or_else(|| {
        v.add("name", "must be facts/{fact}/findings/{revision}-{seq}");
        (0, 0, 0)
    })
}

pub async fn get_finding(intake: &Intake, ctx: &Ctx, r: GetFindingRequest) -> AppResult<Finding> {
    let mut v = Violations::new();
    let k = key(&mut v, &r.name);
    v.finish()?;
    read(&intake.store.db, ctx, k, &r.name).await
}

pub async fn clear_finding(
    intake: &Intake,
    ctx: &Ctx,
    r: ClearFindingRequest,
) -> AppResult<Finding> {
    let ruling = Ruling {
        name: &r.name,
        reason: &r.reason,
        request_id: &r.request_id,
        to: finding_states::CLEARED,
    };
    rule(intake, ctx, ruling, &r).await
}

pub async fn uphold_finding(
    intake: &Intake,
    ctx: &Ctx,
    r: UpholdFindingRequest,
) -> AppResult<Finding> {
    let ruling = Ruling {
        name: &r.name,
        reason: &r.reason,
        request_id: &r.request_id,
        to: finding_states::UPHELD,
    };
    rule(intake, ctx, ruling, &r).await
}

struct Ruling<'a> {
    name: &'a str,
    reason: &'a str,
    request_id: &'a str,
    to: i32,
}

async fn rule(
    intake: &Intake,
    ctx: &Ctx,
    ruling: Ruling<'_>,
    request: &impl prost::Message,
) -> AppResult<Finding> {
    let mut v = Violations::new();
    let k = key(&mut v, ruling.name);
    v.non_empty(ruling.reason, "reason");
    v.max_len(ruling.reason, 2000, "reason");
    check_request_id(&mut v, ruling.request_id);
    v.finish()?;
    if ctx.principal.role != Role::LegalOffice {
        return Err(AppError::refused(
            Reason::FindingClearanceOfficeOnly,
            "only the legal-affairs office rules on a finding; a department corrects its facts, \
             and its findings stand until the office rules",
        ));
    }
    let mut w = intake
        .store
        .write(&ctx.principal, ctx.method, ruling.request_id, request)
        .await?;
    if let Some(first) = w.replayed::<Finding>()? {
        return Ok(first);
    }
    let found = read(w.txn(), ctx, k, ruling.name).await?;
    match found.state {
        finding_states::CLEARED => {
            return Err(AppError::refused(
                Reason::FindingAlreadyCleared,
                format!("{} was cleared: a ruling stands", ruling.name),
            ));
        }
        // Upheld again: nothing changes, nothing is recorded.
        s if s == ruling.to => return Ok(found),
        _ => {}
    }
    let now_us = chrono::Utc::now().timestamp_micros();
    let (fact, revision, seq) = k;
    w.txn()
        .execute_raw(stmt(
            w.txn(),
            "UPDATE intake_findings SET state = $1, ruled_by = $2, ruling_reason = $3, ruled_us = $4 \
             WHERE fact_id = $5 AND revision = $6 AND seq = $7",
            vec![
                ruling.to.into(),
                ctx.principal.subject.clone().into(),
                ruling.reason.to_string().into(),
                now_us.into(),
                fact.into(),
                revision.into(),
                seq.into(),
            ],
        ))
        .await?;
    w.audit(
        ruling.name,
        serde_json::json!({
            "op": if ruling.to == finding_states::CLEARED { "clear_finding" } else { "uphold_finding" },
            "from_state": found.state,
            "to_state": ruling.to,
            "reason": ruling.reason,
        }),
    )
    .await?;
    let after = read(w.txn(), ctx, k, ruling.name).await?;
    w.commit(after).await
}
