//! What was true at an instant, folded from the history tables. Pure
//! functions: CheckActors, the read API and the tests share them.
//!
//! Two times: when a change takes effect and when it was recorded. The folds
//! answer "at instant t" over whatever history they are given; the `known_*`
//! views cut that history to what was recorded by an instant (`known_time`),
//! so that a change recorded later, however it is dated, cannot alter an
//! answer given before it.
use std::borrow::Cow;

use probity_proto::registry::v1::{CredentialStatus, OfficerStatus};

use crate::store::entities::{
    credential, credential_event, major_criteria, officer_event, post_power, power_version,
};

/// The rows recorded by `known` (all of them when `None`, without copying).
fn recorded_by<T: Clone>(rows: &[T], known: Option<i64>, at: impl Fn(&T) -> i64) -> Cow<'_, [T]> {
    match known {
        None => Cow::Borrowed(rows),
        Some(k) if rows.iter().all(|r| at(r) <= k) => Cow::Borrowed(rows),
        Some(k) => Cow::Owned(rows.iter().filter(|r| at(r) <= k).cloned().collect()),
    }
}

/// An officer's events recorded by `known`.
pub fn known_officer_events(
    events: &[officer_event::Model],
    known: Option<i64>,
) -> Cow<'_, [officer_event::Model]> {
    recorded_by(events, known, |e| e.recorded_us)
}

/// Whether a credential was on record at `known`: its validity window is
/// fixed at issue, so a card issued later "valid since January" was not.
pub fn known_credential(c: &credential::Model, known: Option<i64>) -> bool {
    known.is_none_or(|k| c.created_us <= k)
}

/// A credential's steps recorded by `known`. A step is stamped when it is
/// recorded (never dated by the caller), so its `at_us` is that time.
pub fn known_credential_events(
    events: &[credential_event::Model],
    known: Option<i64>,
) -> Cow<'_, [credential_event::Model]> {
    recorded_by(events, known, |e| e.at_us)
}

/// A power's versions recorded by `known`.
pub fn known_power_versions(
    versions: &[power_version::Model],
    known: Option<i64>,
) -> Cow<'_, [power_version::Model]> {
    recorded_by(versions, known, |v| v.recorded_us)
}

/// A power's major-decision criteria recorded by `known`: the catalogue a
/// decision is held to cannot be widened or narrowed after the fact.
pub fn known_major_criteria(
    versions: &[major_criteria::Model],
    known: Option<i64>,
) -> Cow<'_, [major_criteria::Model]> {
    recorded_by(versions, known, |v| v.recorded_us)
}

/// Post-power assignments recorded by `known`, each open-ended if its end
/// was recorded after `known`.
pub fn known_post_powers(
    rows: &[post_power::Model],
    known: Option<i64>,
) -> Cow<'_, [post_power::Model]> {
    let Some(k) = known else {
        return Cow::Borrowed(rows);
    };
    let ended_later =
        |r: &post_power::Model| r.to_us.is_some() && r.to_recorded_us.is_none_or(|t| t > k);
    if rows.iter().all(|r| r.recorded_us <= k && !ended_later(r)) {
        return Cow::Borrowed(rows);
    }
    Cow::Owned(
        rows.iter()
            .filter(|r| r.recorded_us <= k)
            .map(|r| {
                let mut r = r.clone();
                if ended_later(&r) {
                    r.to_us = None;
                    r.to_recorded_us = None;
                }
                r
            })
            .collect(),
    )
}

/// Whether a post-power assignment holds at `t_us`.
pub fn post_power_at(r: &post_power::Model, t_us: i64) -> bool {
    r.from_us <= t_us && r.to_us.is_none_or(|to| to > t_us)
}

/// An officer's situation at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficerAt {
    pub body_id: String,
    pub status: i32,
    pub posts: Vec<String>,
}

/// Folds events (in seq order) up to `t_us`; `None` before the first one.
pub fn officer_at(events: &[officer_event::Model], t_us: i64) -> Option<OfficerAt> {
    let mut state = None;
    for e in events.iter().take_while(|e| e.effective_us <= t_us) {
        state = Some(OfficerAt {
            body_id: e.body_id.clone(),
            status: e.status,
            posts: serde_json::from_str(&e.posts).unwrap_or_default(),
        });
    }
    state
}

pub fn is_active(status: i32) -> bool {
    status == OfficerStatus::Active as i32
}

/// A credential's status at `t_us`, and the withholding end if withheld.
/// Precedence: revoked, expired, not yet valid, withheld, valid.
pub fn credential_at(
    c: &credential::Model,
    events: &[credential_event::Model],
    t_us: i64,
) -> (CredentialStatus, Option<i64>) {
    let revoked = events
        .iter()
        .any(|e| e.at_us <= t_us && e.kind == "REVOKED");
    let withheld_until = holder_withheld_at(events, t_us);
    let status = if revoked {
        CredentialStatus::Revoked
    } else if t_us >= c.valid_until_us {
        CredentialStatus::Expired
    } else if t_us < c.valid_from_us {
        CredentialStatus::NotYetValid
    } else if withheld_until.is_some() {
        CredentialStatus::Withheld
    } else {
        CredentialStatus::Valid
    };
    // The date belongs to a withholding in force, not to what outranks it.
    (
        status,
        withheld_until.filter(|_| status == CredentialStatus::Withheld),
    )
}

/// The end of the withholding a credential's steps (in seq order) leave in
/// force, whatever else became of the credential: its revocation or expiry
/// ends the card, not the sanction on its holder (Art. 21), so no credential
/// of theirs may start before it.
pub fn withholding_end(events: &[credential_event::Model]) -> Option<i64> {
    let mut until = None;
    for e in events {
        match e.kind.as_str() {
            "WITHHELD" => until = e.withheld_until_us,
            "RELEASED" => until = None,
            _ => {}
        }
    }
    until
}

/// The end of a withholding of this card in force at `t_us`, whatever else
/// became of the card (expired, revoked): a withholding binds its holder
/// (Art. 21), so while it runs no other card of theirs is valid either.
pub fn holder_withheld_at(events: &[credential_event::Model], t_us: i64) -> Option<i64> {
    let mut until = None;
    // `filter`, not `take_while`: a step stamped by a replica whose clock ran
    // ahead must not hide the steps after it.
    for e in events.iter().filter(|e| e.at_us <= t_us) {
        match e.kind.as_str() {
            "WITHHELD" => until = e.withheld_until_us,
            "RELEASED" => until = None,
            _ => {}
        }
    }
    until.filter(|u| *u > t_us)
}

/// The version of a power in force at `t_us` (versions in ascending order).
pub fn power_version_at(
    versions: &[power_version::Model],
    t_us: i64,
) -> Option<&power_version::Model> {
    versions
        .iter()
        .take_while(|v| v.effective_us <= t_us)
        .last()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cred() -> credential::Model {
        credential::Model {
            id: "c".into(),
            number: "n".into(),
            holder_id: "o".into(),
            issuing_authority: "a".into(),
            valid_from_us: 100,
            valid_until_us: 1_000,
            revoked_us: None,
            withheld_until_us: None,
            created_us: 0,
        }
    }

    fn ev(seq: i32, kind: &str, at: i64, until: Option<i64>) -> credential_event::Model {
        credential_event::Model {
            credential_id: "c".into(),
            seq,
            kind: kind.into(),
            at_us: at,
            withheld_until_us: until,
            reason: String::new(),
            actor: String::new(),
        }
    }

    #[test]
    fn window_and_withholding() {
        let c = cred();
        let evs = vec![ev(1, "ISSUED", 50, None), ev(2, "WITHHELD", 200, Some(300))];
        assert_eq!(credential_at(&c, &evs, 99).0, CredentialStatus::NotYetValid);
        assert_eq!(credential_at(&c, &evs, 150).0, CredentialStatus::Valid);
        assert_eq!(
            credential_at(&c, &evs, 250),
            (CredentialStatus::Withheld, Some(300))
        );
        // valid again after the date, without any cron
        assert_eq!(credential_at(&c, &evs, 300).0, CredentialStatus::Valid);
        assert_eq!(credential_at(&c, &evs, 1_000).0, CredentialStatus::Expired);
    }

    #[test]
    fn revoked_is_terminal_and_not_retroactive() {
        let c = cred();
        let evs = vec![ev(1, "ISSUED", 50, None), ev(2, "REVOKED", 500, None)];
        assert_eq!(credential_at(&c, &evs, 400).0, CredentialStatus::Valid);
        assert_eq!(credential_at(&c, &evs, 500).0, CredentialStatus::Revoked);
        assert_eq!(credential_at(&c, &evs, 5_000).0, CredentialStatus::Revoked);
        let withheld_then_revoked = vec![
            ev(1, "WITHHELD", 200, Some(900)),
            ev(2, "REVOKED", 300, None),
        ];
        assert_eq!(
            credential_at(&c, &withheld_then_revoked, 400),
            (CredentialStatus::Revoked, None)
        );
    }

    #[test]
    fn release_ends_withholding() {
        let c = cred();
        let evs = vec![
            ev(1, "WITHHELD", 200, Some(900)),
            ev(2, "RELEASED", 400, None),
        ];
        assert_eq!(credential_at(&c, &evs, 300).0, CredentialStatus::Withheld);
        assert_eq!(credential_at(&c, &evs, 400).0, CredentialStatus::Valid);
    }

    fn oev(
        seq: i32,
        effective: i64,
        recorded: i64,
        status: OfficerStatus,
        posts: &[&str],
    ) -> officer_event::Model {
        officer_event::Model {
            officer_id: "o".into(),
            seq,
            kind: "X".into(),
            effective_us: effective,
            recorded_us: recorded,
            body_id: "b".into(),
            status: status as i32,
            posts: serde_json::to_string(posts).unwrap(),
            reason: String::new(),
            actor: String::new(),
            actor_role: None,
        }
    }

    #[test]
    fn a_card_issued_later_valid_since_before_was_not_known() {
        // Issued at 500, "valid since" 100: at instant 200 the registry as
        // it stood at 300 had no such card; as it stands now, it has.
        let c = credential::Model {
            created_us: 500,
            ..cred()
        };
        let evs = vec![ev(1, "ISSUED", 500, None)];
        assert!(!known_credential(&c, Some(300)));
        assert!(known_credential(&c, Some(500)));
        assert!(known_credential(&c, None));
        assert_eq!(
            credential_at(&c, &known_credential_events(&evs, None), 200).0,
            CredentialStatus::Valid
        );
    }

    #[test]
    fn credential_steps_count_from_when_recorded() {
        let c = cred();
        let evs = vec![ev(1, "ISSUED", 50, None), ev(2, "WITHHELD", 200, Some(900))];
        let then = known_credential_events(&evs, Some(150));
        assert_eq!(then.len(), 1);
        assert_eq!(credential_at(&c, &then, 300).0, CredentialStatus::Valid);
        let now = known_credential_events(&evs, None);
        assert_eq!(credential_at(&c, &now, 300).0, CredentialStatus::Withheld);
    }

    #[test]
    fn officer_events_recorded_later_are_left_out() {
        // Off post from 0; a post change recorded at 400 dated back to 50.
        let evs = vec![
            oev(1, 0, 0, OfficerStatus::OffPostTraining, &[]),
            oev(2, 50, 400, OfficerStatus::Active, &["p"]),
        ];
        let then = officer_at(&known_officer_events(&evs, Some(300)), 100).unwrap();
        assert!(!is_active(then.status));
        assert!(then.posts.is_empty());
        let now = officer_at(&known_officer_events(&evs, None), 100).unwrap();
        assert!(is_active(now.status));
        assert_eq!(now.posts, vec!["p".to_string()]);
        // recorded exactly at known_time: known
        assert_eq!(known_officer_events(&evs, Some(400)).len(), 2);
    }

    fn version(v: i32, effective: i64, recorded: i64, benchmark: &str) -> power_version::Model {
        power_version::Model {
            power_id: "p".into(),
            version: v,
            display_name: String::new(),
            legal_bases: String::new(),
            duty: String::new(),
            flowchart_ref: String::new(),
            benchmark: benchmark.into(),
            time_limit_days: 0,
            state: 1,
            reason: String::new(),
            effective_us: effective,
            recorded_us: recorded,
        }
    }

    #[test]
    fn a_benchmark_dated_back_does_not_change_what_was_known() {
        let vs = vec![version(1, 0, 0, "old"), version(2, 100, 1_000, "new")];
        let then = known_power_versions(&vs, Some(500));
        assert_eq!(power_version_at(&then, 200).unwrap().benchmark, "old");
        let now = known_power_versions(&vs, None);
        assert_eq!(power_version_at(&now, 200).unwrap().benchmark, "new");
    }

    fn pp(from: i64, recorded: i64, to: Option<(i64, i64)>) -> post_power::Model {
        post_power::Model {
            id: format!("{from}-{recorded}"),
            post_id: "post".into(),
            power_id: "p".into(),
            body_id: "b".into(),
            from_us: from,
            to_us: to.map(|t| t.0),
            recorded_us: recorded,
            to_recorded_us: to.map(|t| t.1),
        }
    }

    #[test]
    fn post_powers_as_known() {
        // Given at 100 but recorded at 1_000: not held at 200 as known at 500.
        let given_late = vec![pp(100, 1_000, None)];
        assert!(known_post_powers(&given_late, Some(500)).is_empty());
        assert!(post_power_at(&known_post_powers(&given_late, None)[0], 200));
        // Ended at 100, the end recorded at 1_000: still held as known at 500.
        let ended_late = vec![pp(0, 0, Some((100, 1_000)))];
        let then = known_post_powers(&ended_late, Some(500));
        assert!(post_power_at(&then[0], 200));
        assert!(!post_power_at(
            &known_post_powers(&ended_late, None)[0],
            200
        ));
        assert!(!post_power_at(
            &known_post_powers(&ended_late, Some(1_000))[0],
            200
        ));
    }
}
