//! What was true at an instant, folded from the history tables. Pure
//! functions: CheckActors, the read API and the tests share them.
use probity_proto::registry::v1::{CredentialStatus, OfficerStatus};

use crate::entities::{credential, credential_event, officer_event, power_version};

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
}
