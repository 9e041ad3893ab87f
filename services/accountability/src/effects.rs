//! The outbox: a decision's effects on the registry are written in the same
//! transaction as its execution and applied by one dispatcher per process,
//! retried with backoff until the registry confirms or refuses them. Each
//! registry call carries a request id derived from the effect, and the
//! dispatcher first reads the registry's current state, so applying an
//! effect twice (a retry, two replicas) changes nothing.
use std::{sync::Arc, time::Duration};

use probity_common::{
    AppResult, Reason,
    auth::Principal,
    names::{from_ts, to_ts},
    peer::PeerError,
};
use probity_proto::{
    accountability::v1::{EffectKind, EffectState},
    registry::v1::{
        CredentialStatus, OfficerStatus, RevokeCredentialRequest, SetOfficerStatusRequest,
        WithholdCredentialRequest,
    },
};
use sea_orm::ConnectionTrait;

use crate::{
    Accountability,
    store::{
        self,
        effects::{EffectRow, Settled},
        events::{self, Event},
        rows::{CaseRecord, SanctionKind, SubjectKind, to_json},
    },
};

const PENDING: i32 = EffectState::Pending as i32;

/// The effects a decision has on the registry, in the order they are
/// applied (credentials first; statuses from lighter to final).
pub fn plan(case: &CaseRecord) -> Vec<(EffectKind, Option<i64>)> {
    if case.subject.kind != SubjectKind::Officer {
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
        for s in d.sanctions.iter().filter(|s| s.kind == sanction) {
            if s.target.is_leader() {
                continue;
            }
            out.push((effect, s.until.map(|t| t.timestamp_micros())));
        }
    }
    out
}

/// Writes the planned effects of `case` to the outbox (in the caller's
/// transaction); returns how many.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    case_id: &str,
    case: &CaseRecord,
    reason: &str,
    now_us: i64,
) -> AppResult<usize> {
    let planned: Vec<(i32, Option<i64>)> = plan(case)
        .into_iter()
        .map(|(kind, until)| (kind as i32, until))
        .collect();
    let officer = &case.subject.name;
    store::effects::insert(db, case_id, officer, &planned, PENDING, reason, now_us).await?;
    Ok(planned.len())
}

/// How many of the case's effects still wait for the registry.
pub async fn pending<C: ConnectionTrait>(db: &C, case_id: &str) -> AppResult<usize> {
    let all = store::effects::of_case(db, case_id).await?;
    Ok(all.iter().filter(|e| e.state == PENDING).count())
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
            match store::effects::count_in(&acc.store.db, PENDING).await {
                Ok(n) => probity_common::telemetry::ops::outbox_backlog(n),
                Err(e) => tracing::warn!(error = %e, "could not count the outbox"),
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
    for row in store::effects::due(&acc.store.db, PENDING, now).await? {
        let outcome = apply(acc, &row).await;
        settle(acc, &row, outcome).await?;
    }
    Ok(())
}

fn kind(row: &EffectRow) -> EffectKind {
    EffectKind::try_from(row.kind).unwrap_or_default()
}

/// A request id for the registry that is the same at every attempt.
fn request_id(row: &EffectRow, part: &str) -> String {
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

async fn apply(acc: &Accountability, row: &EffectRow) -> Outcome {
    let reason = format!("cases/{}: {}", row.case_id, row.reason);
    match kind(row) {
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

async fn credentials(acc: &Accountability, row: &EffectRow, reason: &str) -> Outcome {
    let held = match acc.peers.credentials(&row.officer).await {
        Ok(c) => c,
        Err(e) => return retry_or_refuse(e, "listing the officer's credentials"),
    };
    let withhold = kind(row) == EffectKind::WithholdCredentials;
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

async fn status(acc: &Accountability, row: &EffectRow, to: OfficerStatus, reason: &str) -> Outcome {
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
    Principal::system("probity-accountability")
}

/// Records what applying came to: a retry only bumps the attempt count (no
/// change to the case); APPLIED and REFUSED are case events in the chain.
async fn settle(acc: &Accountability, row: &EffectRow, outcome: Outcome) -> AppResult<()> {
    let now = chrono::Utc::now().timestamp_micros();
    if let Outcome::Retry(err) = &outcome {
        let s = &acc.settings;
        let shift = row.attempts.clamp(0, 20) as u32;
        let wait = s
            .effect_retry_min_ms
            .saturating_mul(1u64 << shift)
            .min(s.effect_retry_max_ms);
        let next = now + wait as i64 * 1000;
        store::effects::retry_later(&acc.store.db, row, PENDING, err, next).await?;
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
    let settled = Settled {
        state: state as i32,
        note: &note,
        applied_us: (state == EffectState::Applied).then_some(now),
        credentials: &credentials,
    };
    if !store::effects::settle(w.txn(), row, PENDING, settled).await? {
        // Another replica settled it first.
        return Ok(());
    }
    let Some(mut c) = store::cases::load(w.txn(), &row.case_id).await? else {
        return Ok(());
    };
    c.case.version += 1;
    store::cases::save(w.txn(), &c).await?;
    let reason = format!(
        "cases/{}/effects/{} {}{}{}",
        row.case_id,
        row.n,
        kind(row).as_str_name(),
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
    events::append(
        &mut w,
        &principal,
        "effect",
        Event {
            entity: &c.name(),
            action,
            from: c.case.state.code(),
            to: c.case.state.code(),
            reason: &reason,
            record: to_json(&c.case),
        },
    )
    .await?;
    w.commit(()).await?;
    Ok(())
}
