//! The outbox: a decision's effects on the registry are written in the same
//! transaction as its execution and applied by one dispatcher per process,
//! retried with backoff until the registry confirms or refuses them. Each
//! registry call carries a request id derived from the effect, and the
//! dispatcher first reads the registry's current state, so applying an
//! effect twice (a retry, two replicas) changes nothing.
use std::{sync::Arc, time::Duration};

use probity_common::{
    AppResult, Reason,
    auth::{Principal, Role},
    db::stmt,
    names::{from_ts, to_ts},
    peer::PeerError,
};
use probity_proto::{
    accountability::v1::{Case, Effect, EffectKind, EffectState, SanctionKind, SubjectKind},
    registry::v1::{
        CredentialStatus, OfficerStatus, RevokeCredentialRequest, SetOfficerStatusRequest,
        WithholdCredentialRequest,
    },
};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::{
    Accountability,
    store::{self, Event},
};

/// One effect row.
#[derive(Debug, Clone)]
pub struct Row {
    pub case_id: String,
    pub n: i32,
    pub kind: EffectKind,
    pub officer: String,
    pub until_us: Option<i64>,
    pub attempts: i32,
    pub reason: String,
}

/// The effects a decision has on the registry, in the order they are
/// applied (credentials first; statuses from lighter to final).
pub fn plan(case: &Case) -> Vec<(EffectKind, Option<i64>)> {
    let subject = case.subject.clone().unwrap_or_default();
    if subject.kind != SubjectKind::Officer as i32 {
        return Vec::new();
    }
    let Some(d) = &case.decision else {
        return Vec::new();
    };
    let order = [
        (
            SanctionKind::CredentialRevoked,
            EffectKind::RevokeCredentials,
        ),
        (
            SanctionKind::CredentialWithheld,
            EffectKind::WithholdCredentials,
        ),
        (SanctionKind::OffPostTraining, EffectKind::OffPostTraining),
        (SanctionKind::TransferOut, EffectKind::TransferOut),
        (
            SanctionKind::QualificationCancelled,
            EffectKind::CancelQualification,
        ),
    ];
    let mut out = Vec::new();
    for (sanction, effect) in order {
        for s in d.sanctions.iter().filter(|s| s.kind == sanction as i32) {
            if crate::severity::is_leader(s.target) {
                continue;
            }
            let until = s
                .until
                .as_ref()
                .and_then(from_ts)
                .map(|t| t.timestamp_micros());
            out.push((effect, until));
        }
    }
    out
}

/// Writes the planned effects of `case` to the outbox (in the caller's transaction).
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    case_id: &str,
    case: &Case,
    reason: &str,
    now_us: i64,
) -> AppResult<usize> {
    let officer = case.subject.clone().unwrap_or_default().name;
    let planned = plan(case);
    for (n, (kind, until)) in planned.iter().enumerate() {
        db.execute_raw(stmt(
            db,
            "INSERT INTO accountability_effects (case_id, n, kind, officer, until_us, state, attempts, last_error, next_us, applied_us, credentials, reason) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, '', $7, NULL, '[]', $8)",
            vec![
                case_id.into(),
                (n as i32 + 1).into(),
                (*kind as i32).into(),
                officer.clone().into(),
                (*until).into(),
                (EffectState::Pending as i32).into(),
                now_us.into(),
                reason.into(),
            ],
        ))
        .await?;
    }
    Ok(planned.len())
}

fn effect(row: &QueryResult) -> AppResult<Effect> {
    let case_id: String = row.try_get("", "case_id")?;
    let n: i32 = row.try_get("", "n")?;
    let until: Option<i64> = row.try_get("", "until_us")?;
    let applied: Option<i64> = row.try_get("", "applied_us")?;
    let creds: String = row.try_get("", "credentials")?;
    let ts = probity_common::names::us_ts;
    Ok(Effect {
        name: format!("cases/{case_id}/effects/{n}"),
        kind: row.try_get("", "kind")?,
        officer: row.try_get("", "officer")?,
        until: until.and_then(ts),
        state: row.try_get("", "state")?,
        attempts: row.try_get("", "attempts")?,
        last_error: row.try_get("", "last_error")?,
        applied_time: applied.and_then(ts),
        credentials: serde_json::from_str(&creds).unwrap_or_default(),
    })
}

/// The effects of a case, in order.
pub async fn of_case<C: ConnectionTrait>(db: &C, case_id: &str) -> AppResult<Vec<Effect>> {
    let rows = db
        .query_all_raw(stmt(
            db,
            "SELECT * FROM accountability_effects WHERE case_id = $1 ORDER BY n",
            vec![case_id.into()],
        ))
        .await?;
    rows.iter().map(effect).collect()
}

/// Starts the dispatcher; it ends when the service is dropped.
pub fn start(acc: &Arc<Accountability>) {
    let weak = Arc::downgrade(acc);
    let wake = acc.wake.clone();
    let poll = Duration::from_millis(acc.settings.effect_retry_min_ms.clamp(50, 5_000));
    tokio::spawn(async move {
        loop {
            let Some(acc) = weak.upgrade() else { return };
            if let Err(e) = dispatch(&acc).await {
                tracing::warn!(error = %e, "effect dispatch failed; will retry");
            }
            drop(acc);
            let _ = tokio::time::timeout(poll, wake.notified()).await;
        }
    });
}

/// What applying an effect came to.
enum Outcome {
    Applied {
        credentials: Vec<String>,
        note: String,
    },
    Refused(String),
    Retry(String),
}

/// Applies every effect that is due (the first pending one of each case).
pub async fn dispatch(acc: &Accountability) -> AppResult<()> {
    let now = chrono::Utc::now().timestamp_micros();
    let db = &acc.store.db;
    let rows = db
        .query_all_raw(stmt(
            db,
            // A case's effects apply in order: only the first pending one of
            // each case is due, so waiting ones never crowd out other cases.
            "SELECT case_id, n, kind, officer, until_us, attempts, reason FROM accountability_effects e \
             WHERE state = $1 AND next_us <= $2 AND NOT EXISTS (SELECT 1 FROM accountability_effects p \
               WHERE p.case_id = e.case_id AND p.n < e.n AND p.state = $1) \
             ORDER BY next_us, case_id, n LIMIT 200",
            vec![(EffectState::Pending as i32).into(), now.into()],
        ))
        .await?;
    for r in rows {
        let row = Row {
            case_id: r.try_get("", "case_id")?,
            n: r.try_get("", "n")?,
            kind: EffectKind::try_from(r.try_get::<i32>("", "kind")?).unwrap_or_default(),
            officer: r.try_get("", "officer")?,
            until_us: r.try_get("", "until_us")?,
            attempts: r.try_get("", "attempts")?,
            reason: r.try_get("", "reason")?,
        };
        let outcome = apply(acc, &row).await;
        settle(acc, &row, outcome).await?;
    }
    Ok(())
}

/// A request id for the registry that is the same at every attempt.
fn request_id(row: &Row, part: &str) -> String {
    let key = format!(
        "probity-accountability/cases/{}/effects/{}/{part}",
        row.case_id, row.n
    );
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, key.as_bytes()).to_string()
}

/// What a registry error means for an effect: wait and retry (unreachable,
/// or our token was refused: operations will fix it, the sanction must not
/// be dropped), or a refusal that retrying cannot change.
enum Failure {
    Retry(String),
    Refused(String),
}

fn failure(e: PeerError, what: &str) -> Failure {
    match e {
        PeerError::Unavailable(m) => Failure::Retry(m),
        PeerError::Refused(s) if s.code() == tonic::Code::Unimplemented => Failure::Retry(format!(
            "{what}: the registry does not serve the call (a version or an endpoint not yet right): {}",
            s.message()
        )),
        PeerError::Refused(s)
            if matches!(
                s.code(),
                tonic::Code::Unauthenticated | tonic::Code::PermissionDenied
            ) =>
        {
            Failure::Retry(format!(
                "{what}: the registry refused our token: {}",
                s.message()
            ))
        }
        PeerError::Refused(s) => {
            let reason = PeerError::Refused(s.clone()).reason().unwrap_or_default();
            Failure::Refused(
                format!("{what}: {reason} {}", s.message())
                    .trim()
                    .to_string(),
            )
        }
    }
}

fn retry_or_refuse(e: PeerError, what: &str) -> Outcome {
    match failure(e, what) {
        Failure::Retry(m) => Outcome::Retry(m),
        Failure::Refused(m) => Outcome::Refused(m),
    }
}

async fn apply(acc: &Accountability, row: &Row) -> Outcome {
    let reason = format!("cases/{}: {}", row.case_id, row.reason);
    match row.kind {
        EffectKind::WithholdCredentials | EffectKind::RevokeCredentials => {
            credentials(acc, row, &reason).await
        }
        EffectKind::OffPostTraining => {
            status(acc, row, OfficerStatus::OffPostTraining, &reason).await
        }
        EffectKind::TransferOut => status(acc, row, OfficerStatus::TransferredOut, &reason).await,
        EffectKind::CancelQualification => {
            status(acc, row, OfficerStatus::Disqualified, &reason).await
        }
        EffectKind::Unspecified => Outcome::Refused("unknown effect kind".into()),
    }
}

async fn credentials(acc: &Accountability, row: &Row, reason: &str) -> Outcome {
    let held = match acc.peers.credentials(&row.officer).await {
        Ok(c) => c,
        Err(e) => return retry_or_refuse(e, "listing the officer's credentials"),
    };
    let withhold = row.kind == EffectKind::WithholdCredentials;
    let until = row
        .until_us
        .and_then(chrono::DateTime::from_timestamp_micros);
    if withhold && until.is_none_or(|u| u <= chrono::Utc::now()) {
        return Outcome::Refused(
            "UNTIL_PASSED: the withholding ended before it could be applied".into(),
        );
    }
    let bind_expired = if withhold {
        expired_to_bind(&held).map(str::to_string)
    } else {
        None
    };
    let mut changed = Vec::new();
    let mut refusals = Vec::new();
    let mut client = acc.peers.registry_client();
    for c in held {
        // The full term even past the card's validity: the withholding binds
        // its holder, who can have no new card before it ends.
        let st = CredentialStatus::try_from(c.status).unwrap_or_default();
        // Already as the effect wants it (an earlier attempt, or another
        // case): counted as changed by this effect, nothing sent.
        let done = match st {
            CredentialStatus::Revoked => !withhold,
            CredentialStatus::Withheld if withhold => {
                let cur = c.withheld_until.as_ref().and_then(from_ts);
                matches!((cur, until), (Some(c), Some(u)) if c >= u)
            }
            _ => false,
        };
        if done {
            changed.push(c.name);
            continue;
        }
        let bind = bind_expired.as_deref() == Some(c.name.as_str());
        if st == CredentialStatus::Revoked || (st == CredentialStatus::Expired && !bind) {
            continue;
        }
        let call = if withhold {
            acc.peers
                .registry
                .call(
                    "the registry",
                    client.withhold_credential(WithholdCredentialRequest {
                        request_id: request_id(row, &c.name),
                        name: c.name.clone(),
                        until: until.map(to_ts),
                        reason: reason.into(),
                    }),
                )
                .await
        } else {
            acc.peers
                .registry
                .call(
                    "the registry",
                    client.revoke_credential(RevokeCredentialRequest {
                        request_id: request_id(row, &c.name),
                        name: c.name.clone(),
                        reason: reason.into(),
                    }),
                )
                .await
        };
        match call {
            Ok(_) => changed.push(c.name),
            Err(e) if !withhold && e.is(Reason::CredentialRevoked) => changed.push(c.name),
            Err(e) => match failure(e, &c.name) {
                Failure::Retry(m) => return Outcome::Retry(m),
                // Revoked or expired meanwhile: nothing left to withhold there.
                Failure::Refused(m) => refusals.push(m),
            },
        }
    }
    if !refusals.is_empty() && changed.is_empty() {
        return Outcome::Refused(refusals.join("; "));
    }
    let note = if !refusals.is_empty() {
        format!("not applied to: {}", refusals.join("; "))
    } else if changed.is_empty() {
        "the officer holds no credential this changes".to_string()
    } else {
        String::new()
    };
    Outcome::Applied {
        credentials: changed,
        note,
    }
}

/// The card a withholding goes on when the officer holds no live one (all
/// expired, awaiting renewal): the latest expired. A withholding binds its
/// holder, so a renewal the next day must not end it.
fn expired_to_bind(held: &[probity_proto::registry::v1::Credential]) -> Option<&str> {
    let status = |c: &probity_proto::registry::v1::Credential| {
        CredentialStatus::try_from(c.status).unwrap_or_default()
    };
    if held.iter().any(|c| {
        !matches!(
            status(c),
            CredentialStatus::Revoked | CredentialStatus::Expired
        )
    }) {
        return None;
    }
    held.iter()
        .filter(|c| status(c) == CredentialStatus::Expired)
        .max_by_key(|c| c.valid_until.as_ref().map(|t| (t.seconds, t.nanos)))
        .map(|c| c.name.as_str())
}

/// How heavy a status is: a sanction never moves an officer to a lighter one.
fn weight(s: i32) -> u8 {
    match OfficerStatus::try_from(s).unwrap_or_default() {
        OfficerStatus::Disqualified => 3,
        OfficerStatus::TransferredOut => 2,
        OfficerStatus::OffPostTraining => 1,
        _ => 0,
    }
}

async fn status(acc: &Accountability, row: &Row, to: OfficerStatus, reason: &str) -> Outcome {
    let officer = match acc.peers.officer(&row.officer).await {
        Ok(o) => o,
        Err(e) => return retry_or_refuse(e, &row.officer),
    };
    // Heavier already: nothing to do. The same status is still sent: if the
    // department set it itself, the registry records it as this sanction,
    // which the department then cannot lift.
    if weight(officer.status) > weight(to as i32) {
        let now = OfficerStatus::try_from(officer.status).unwrap_or_default();
        return Outcome::Applied {
            credentials: Vec::new(),
            note: format!(
                "the officer's status already was {} (heavier)",
                now.as_str_name()
            ),
        };
    }
    let mut client = acc.peers.registry_client();
    let call = acc
        .peers
        .registry
        .call(
            "the registry",
            client.set_officer_status(SetOfficerStatusRequest {
                request_id: request_id(row, "status"),
                officer: row.officer.clone(),
                status: to as i32,
                reason: reason.into(),
                effective_time: None,
            }),
        )
        .await;
    match call {
        Ok(_) => Outcome::Applied {
            credentials: Vec::new(),
            note: String::new(),
        },
        Err(e) if e.is(Reason::NoChange) => Outcome::Applied {
            credentials: Vec::new(),
            note: "the officer already had this status".into(),
        },
        Err(e) => retry_or_refuse(e, &row.officer),
    }
}

fn system() -> Principal {
    Principal {
        subject: "probity-accountability".into(),
        role: Role::Service,
        body: None,
    }
}

/// Records what applying came to: a retry only bumps the attempt count (no
/// change to the case); APPLIED and REFUSED are case events in the chain.
async fn settle(acc: &Accountability, row: &Row, outcome: Outcome) -> AppResult<()> {
    let now = chrono::Utc::now().timestamp_micros();
    let db = &acc.store.db;
    if let Outcome::Retry(err) = &outcome {
        let s = &acc.settings;
        let shift = row.attempts.clamp(0, 20) as u32;
        let wait = s
            .effect_retry_min_ms
            .saturating_mul(1u64 << shift)
            .min(s.effect_retry_max_ms);
        db.execute_raw(stmt(
            db,
            "UPDATE accountability_effects SET attempts = attempts + 1, last_error = $1, next_us = $2 \
             WHERE case_id = $3 AND n = $4 AND state = $5",
            vec![
                err.clone().into(),
                (now + wait as i64 * 1000).into(),
                row.case_id.clone().into(),
                row.n.into(),
                (EffectState::Pending as i32).into(),
            ],
        ))
        .await?;
        tracing::info!(case = %row.case_id, effect = row.n, error = %err, "registry effect will be retried");
        return Ok(());
    }
    let principal = system();
    let mut w = acc.store.write(&principal, "effect", "", &()).await?;
    let (state, action, credentials, note) = match outcome {
        Outcome::Applied { credentials, note } => {
            (EffectState::Applied, "EFFECT_APPLIED", credentials, note)
        }
        Outcome::Refused(why) => (EffectState::Refused, "EFFECT_REFUSED", Vec::new(), why),
        Outcome::Retry(_) => unreachable!("handled above"),
    };
    let done = w
        .txn()
        .execute_raw(stmt(
            w.txn(),
            "UPDATE accountability_effects SET state = $1, attempts = attempts + 1, last_error = $2, applied_us = $3, credentials = $4 \
             WHERE case_id = $5 AND n = $6 AND state = $7",
            vec![
                (state as i32).into(),
                note.clone().into(),
                (state == EffectState::Applied).then_some(now).into(),
                serde_json::to_string(&credentials).unwrap_or_default().into(),
                row.case_id.clone().into(),
                row.n.into(),
                (EffectState::Pending as i32).into(),
            ],
        ))
        .await?
        .rows_affected();
    if done == 0 {
        // Another replica settled it first.
        return Ok(());
    }
    let Some(mut c) = store::load_case(w.txn(), &row.case_id).await? else {
        return Ok(());
    };
    c.case.version += 1;
    store::save_case(w.txn(), &c).await?;
    let entity = format!("cases/{}", row.case_id);
    let reason = format!(
        "cases/{}/effects/{} {}{}{}",
        row.case_id,
        row.n,
        row.kind.as_str_name(),
        if credentials.is_empty() {
            String::new()
        } else {
            format!(" {}", credentials.join(","))
        },
        if note.is_empty() {
            String::new()
        } else {
            format!(": {note}")
        }
    );
    store::append(
        &mut w,
        &principal,
        "effect",
        Event {
            entity: &entity,
            action,
            from: c.case.state,
            to: c.case.state,
            reason: &reason,
            doc: prost::Message::encode_to_vec(&c.case),
        },
    )
    .await?;
    w.commit(()).await?;
    Ok(())
}
