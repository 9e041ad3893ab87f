//! What accountability keeps of a case, a correction order and a
//! commendation: its own types, not the API's messages, so that a change
//! of the API is not a change of the stored data (issue 15). `api/convert.rs`
//! turns them into messages and back; everything below the handlers works
//! on these.
//!
//! A record is stored as JSON (serde_json) in a TEXT column: readable with
//! plain SQL, and a field added later reads from older rows as its default
//! (`#[serde(default)]`). TEXT, not PostgreSQL's JSONB, because the bytes
//! are hashed as written (an event's and a commendation's audit entry holds
//! their SHA-256) and JSONB would reorder and respace them. The columns
//! listings filter on stay columns beside the record.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An enumeration as stored: by name in the record, by number in the
/// table's integer columns (the numbers the columns have always held).
macro_rules! stored_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $n:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            #[default]
            Unspecified = 0,
            $($variant = $n,)*
        }

        impl $name {
            /// Its number in an integer column.
            pub fn code(self) -> i32 {
                self as i32
            }
        }
    };
}

stored_enum!(
    /// Whom a case or a commendation is about.
    SubjectKind {
        Body = 1,
        Officer = 2,
    }
);

stored_enum!(EvidenceKind {
    Fact = 1,
    Finding = 2,
    AuditEntry = 3,
    Document = 4,
    RankingFlag = 5,
    CorrectionOrder = 6,
});

stored_enum!(
    /// How a case came in.
    OriginKind {
        Manual = 1,
        Finding = 2,
        RankingFlag = 3,
        CorrectionOrder = 4,
    }
);

stored_enum!(
    /// Where a case stands (Art. 12, 21: the procedure).
    CaseState {
    Opened = 1,
    Investigating = 2,
    Proposed = 3,
    Decided = 4,
    Contested = 5,
    Executed = 6,
    Closed = 7,
    Dismissed = 8,
    }
);

impl CaseState {
    /// Its name as clients know it (the API's spelling), for messages.
    pub fn api_name(self) -> String {
        api_name("CASE_STATE", self)
    }
}

stored_enum!(SanctionKind {
    Rectification = 1,
    PublicCriticism = 2,
    LossOfAwardEligibility = 3,
    Interview = 4,
    Admonition = 5,
    WrittenWarning = 6,
    WrittenSelfExamination = 7,
    CredentialWithheld = 8,
    OffPostTraining = 9,
    TransferOut = 10,
    QualificationCancelled = 11,
    CredentialRevoked = 12,
    Referral = 13,
});

stored_enum!(
    /// Whom a sanction falls on: the subject (also when unspecified) or
    /// one of a body's leaders.
    SanctionTarget {
        Subject = 1,
        PrincipalLeader = 2,
        ResponsibleLeader = 3,
    }
);

impl SanctionTarget {
    pub fn is_leader(self) -> bool {
        matches!(self, Self::PrincipalLeader | Self::ResponsibleLeader)
    }
}

stored_enum!(ReferralTo {
    Personnel = 1,
    Supervisory = 2,
});

stored_enum!(ContestOutcome {
    Pending = 1,
    Upheld = 2,
    Changed = 3,
});

stored_enum!(OrderState {
    Open = 1,
    Corrected = 2,
    Refused = 3,
    Overdue = 4,
});

impl OrderState {
    /// Its name as clients know it (the API's spelling), for messages.
    pub fn api_name(self) -> String {
        api_name("ORDER_STATE", self)
    }
}

/// `PREFIX_VARIANT`, the variant as the record spells it.
fn api_name<T: Serialize>(prefix: &str, v: T) -> String {
    let name = serde_json::to_value(v).ok();
    let name = name
        .as_ref()
        .and_then(|n| n.as_str())
        .unwrap_or("UNSPECIFIED");
    format!("{prefix}_{name}")
}

stored_enum!(OrderAnswer {
    Corrected = 1,
    Refused = 2,
});

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Subject {
    /// bodies/{body} or officers/{officer}.
    pub name: String,
    pub kind: SubjectKind,
    /// The body, or the officer's body when the case opened.
    pub body: String,
    pub principal_leader: String,
    pub responsible_leader: String,
    pub display_name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Ground {
    pub code: String,
    pub article: String,
    pub title_zh: String,
    pub title_en: String,
    pub detail: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Evidence {
    pub kind: EvidenceKind,
    pub reference: String,
    pub revision: i32,
    pub rule: String,
    pub officer: String,
    pub sha256: String,
    pub note: String,
    pub added_by: String,
    pub add_time: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Origin {
    pub kind: OriginKind,
    pub reference: String,
    /// Unique among cases: what raised the case raises no other.
    pub key: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Sanction {
    pub kind: SanctionKind,
    pub target: SanctionTarget,
    pub until: Option<DateTime<Utc>>,
    pub deadline: Option<DateTime<Utc>>,
    pub referral_to: ReferralTo,
    pub note: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Decision {
    pub severity: i32,
    pub sanctions: Vec<Sanction>,
    pub reasoning: String,
    pub decided_by: String,
    /// bodies/{body} when a unit decided (its own officer, Art. 20; or as
    /// the superior authority, Art. 19); empty for the government or the
    /// office. A notice is issued in its name.
    pub decided_body: String,
    pub time: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Contest {
    pub reason: String,
    pub by: String,
    pub time: Option<DateTime<Utc>>,
    pub outcome: ContestOutcome,
    pub resolution: String,
    pub resolved_by: String,
    pub resolve_time: Option<DateTime<Utc>>,
    /// The decision as it stood when contested.
    pub contested: Option<Decision>,
}

/// A case as stored: everything but its name (its row's id) and what a
/// reader is shown computed (time limit, effects).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CaseRecord {
    pub subject: Subject,
    pub grounds: Vec<Ground>,
    pub origin: Origin,
    pub state: CaseState,
    pub title: String,
    pub evidence: Vec<Evidence>,
    pub proposal: Option<Decision>,
    pub decision: Option<Decision>,
    pub contest: Option<Contest>,
    pub create_time: Option<DateTime<Utc>>,
    pub state_time: Option<DateTime<Utc>>,
    pub dismissal_reason: String,
    pub version: i64,
    /// When a case its unit did not decide in time passed to the office
    /// (`rights::escalation`). Left out while unset, so records written
    /// before it read and hash as they were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalate_time: Option<DateTime<Utc>>,
}

/// A correction order as stored, but its name (its row's id).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderRecord {
    pub body: String,
    pub act: String,
    pub evidence: Vec<Evidence>,
    pub deadline: Option<DateTime<Utc>>,
    pub state: OrderState,
    pub answer: OrderAnswer,
    pub answer_note: String,
    pub answer_evidence: Vec<Evidence>,
    pub answer_time: Option<DateTime<Utc>>,
    /// cases/{case}: the case the order opened, if any.
    pub case: String,
    pub create_time: Option<DateTime<Utc>>,
    pub created_by: String,
    pub body_display_name: String,
}

/// A commendation as stored, but its name (its row's id).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CommendationRecord {
    pub year: i32,
    pub subject: String,
    pub subject_kind: SubjectKind,
    pub run: String,
    /// As text: serde_json's default parsing may miss a float's last bit.
    #[serde(with = "exact_f64")]
    pub score: f64,
    pub rank: i32,
    pub peer_group: String,
    pub note: String,
    pub create_time: Option<DateTime<Utc>>,
    pub body: String,
}

stored_enum!(
    /// Where an Art. 22 referral stands.
    ReferralState {
        Sent = 1,
        Received = 2,
        Answered = 3,
        Overdue = 4,
    }
);

impl ReferralState {
    /// Its name as clients know it (the API's spelling), for messages.
    pub fn api_name(self) -> String {
        api_name("REFERRAL_STATE", self)
    }
}

/// An Art. 22 referral as stored, but its name (its row's id).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReferralRecord {
    /// cases/{case}
    pub case: String,
    pub to: ReferralTo,
    pub subject: String,
    pub subject_display_name: String,
    pub body: String,
    pub state: ReferralState,
    pub note: String,
    pub send_time: Option<DateTime<Utc>>,
    pub due_time: Option<DateTime<Utc>>,
    pub receive_time: Option<DateTime<Utc>>,
    pub receipt_reference: String,
    pub answer_time: Option<DateTime<Utc>>,
    pub answer: String,
    pub answer_document: Option<Evidence>,
    pub overdue_time: Option<DateTime<Utc>>,
}

/// A referral row: its record and the columns besides it that the code reads.
#[derive(Debug, Clone)]
pub struct ReferralRow {
    pub id: String,
    pub body_path: String,
    pub referral: ReferralRecord,
}

impl ReferralRow {
    pub fn name(&self) -> String {
        format!("referrals/{}", self.id)
    }
}

/// A case row: its record and the columns besides it that the code reads.
#[derive(Debug, Clone)]
pub struct CaseRow {
    pub id: String,
    pub body_path: String,
    /// When the current state was entered (the time limit runs from it).
    pub state_us: i64,
    pub case: CaseRecord,
}

impl CaseRow {
    pub fn name(&self) -> String {
        format!("cases/{}", self.id)
    }
}

/// An order row: its record and the columns besides it that the code reads.
#[derive(Debug, Clone)]
pub struct OrderRow {
    pub id: String,
    pub body_path: String,
    pub order: OrderRecord,
}

impl OrderRow {
    pub fn name(&self) -> String {
        format!("orders/{}", self.id)
    }
}

/// A record as it is stored in its TEXT column.
pub fn to_json<T: Serialize>(record: &T) -> String {
    // Serializing these plain structs (string keys, finite floats as text)
    // cannot fail.
    serde_json::to_string(record).expect("a record serializes")
}

/// f64 as its shortest decimal text, which reads back to the same bits.
mod exact_f64 {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_as_written() {
        let c = CommendationRecord {
            year: 2026,
            score: 0.1 + 0.2,
            subject_kind: SubjectKind::Officer,
            create_time: DateTime::from_timestamp(1_800_000_000, 123_456_789),
            ..Default::default()
        };
        let text = to_json(&c);
        assert!(text.contains("\"OFFICER\""), "{text}");
        let back: CommendationRecord = serde_json::from_str(&text).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.score.to_bits(), (0.1f64 + 0.2).to_bits());
        // A field added later reads from older rows as its default.
        let old: CaseRecord = serde_json::from_str(r#"{"title":"t","state":"DECIDED"}"#).unwrap();
        assert_eq!((old.state, old.version), (CaseState::Decided, 0));
    }
}
