//! Structural checks of one submission, before anything is looked up: every
//! bad field is named at once. What passes is normalized (output-only fields
//! cleared) and digested, so a resend compares equal to the first.
use chrono::{DateTime, Datelike, Utc};
use probity_common::{
    AppResult, Violations,
    audit::sha256_hex,
    names::{enum_field, from_ts, parse_nested, parse_top, top_field},
};
use probity_proto::{
    intake::v1::{fact::Payload, *},
    registry::v1::{CircumstanceGrade, PowerCategory},
};
pub use probity_rules::city::year_start_us;
use probity_rules::city::{CITY_OFFSET_SECS, EARLIEST_YEAR, earliest_us};
use prost::Message;

/// At most this many officers on one fact.
pub const MAX_OFFICERS: usize = 100;
/// At most this many process records on one fact.
pub const MAX_RECORDS: usize = 100;
/// Clock skew tolerated between a source system and intake.
const SKEW_US: i64 = 60_000_000;

/// A fact that refers to another fact of the same body by its source id.
#[derive(Debug, Clone)]
pub struct Reference {
    pub kind: FactKind,
    pub source_id: String,
    /// The request field that names it, for errors.
    pub field: String,
}

/// A submission that passed the structural checks.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// body, source_id and payload only.
    pub fact: Fact,
    pub body_id: String,
    pub kind: FactKind,
    pub occurred_us: i64,
    /// officers/{id} as given, in order; for a decision or complaint closing
    /// that names none, those of the fact it refers to, once that is known
    /// (see `findings::inherit_officers`).
    pub officers: Vec<String>,
    /// Field path of the officers list, for errors.
    pub officers_field: String,
    /// bodies/{b}/powers/{p}, or empty.
    pub power: String,
    pub power_field: String,
    pub reference: Option<Reference>,
    pub correction_reason: String,
    pub digest: String,
}

/// The digest a resend must match: body, source id and payload.
pub fn digest(fact: &Fact) -> String {
    sha256_hex(&fact.encode_to_vec())
}

/// The source id of the fact (of the same body) this one refers to: the
/// matter a decision or closing is on, the decision a review or case-file
/// review is of, the complaint a closing closes; "" for none.
pub fn refers_to(f: &Fact) -> &str {
    match f.payload.as_ref() {
        Some(Payload::MatterClosing(m)) => &m.matter,
        Some(Payload::Decision(d)) => &d.matter,
        Some(Payload::ReviewOutcome(r)) => &r.decision,
        Some(Payload::ComplaintClosing(c)) => &c.complaint,
        Some(Payload::Transfer(t)) => &t.matter,
        Some(Payload::CaseFileReview(r)) => &r.decision,
        _ => "",
    }
}

/// The request field holding a kind's time.
pub fn occurred_field(kind: FactKind) -> &'static str {
    match kind {
        FactKind::Matter => "fact.matter.accept_time",
        FactKind::MatterClosing => "fact.matter_closing.close_time",
        FactKind::Decision => "fact.decision.decide_time",
        FactKind::Inspection => "fact.inspection.inspect_time",
        FactKind::ReviewOutcome => "fact.review_outcome.decide_time",
        FactKind::Complaint => "fact.complaint.accept_time",
        FactKind::ComplaintClosing => "fact.complaint_closing.close_time",
        FactKind::Transfer => "fact.transfer.transfer_time",
        FactKind::Training => "fact.training.train_time",
        FactKind::CaseFileReview => "fact.case_file_review.review_time",
        FactKind::AssessmentItem | FactKind::Unspecified => "fact.assessment_item.score_time",
    }
}

struct Check<'a> {
    v: &'a mut Violations,
    now_us: i64,
    prefix: String,
}

impl Check<'_> {
    fn f(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn time(&mut self, t: Option<&prost_types::Timestamp>, name: &str) -> i64 {
        let field = self.f(name);
        match t.map(from_ts) {
            None => {
                self.v.add(field, "is required");
                0
            }
            Some(None) => {
                self.v.add(field, "is not a valid timestamp");
                0
            }
            Some(Some(t)) if t.timestamp_micros() > self.now_us + SKEW_US => {
                self.v.add(field, "must not be in the future");
                0
            }
            // The city's 2000, not UTC's: its first eight hours are UTC's 1999.
            Some(Some(t)) if t.timestamp_micros() < earliest_us() => {
                self.v
                    .add(field, format!("must not be before {EARLIEST_YEAR}"));
                0
            }
            Some(Some(t)) => t.timestamp_micros(),
        }
    }

    fn text(&mut self, value: &str, name: &str, max: usize) {
        let field = self.f(name);
        self.v.non_empty(value, &field);
        self.v.max_len(value, max, &field);
    }

    fn optional_text(&mut self, value: &str, name: &str, max: usize) {
        let field = self.f(name);
        self.v.max_len(value, max, &field);
    }

    fn source_ref(&mut self, value: &str, name: &str, kind: FactKind) -> Option<Reference> {
        self.text(value, name, 128);
        (!value.trim().is_empty()).then(|| Reference {
            kind,
            source_id: value.to_string(),
            field: self.f(name),
        })
    }

    fn enum_of<E: TryFrom<i32>>(&mut self, raw: i32, name: &str) -> Option<E> {
        let field = self.f(name);
        enum_field::<E>(self.v, raw, &field, false)
    }

    fn officers(&mut self, officers: &[String], name: &str) -> Vec<String> {
        let field = self.f(name);
        self.v
            .check(!officers.is_empty(), &field, "at least one officer");
        self.optional_officers(officers, name)
    }

    /// An officers list that may be empty (then inherited from the fact
    /// referred to).
    fn optional_officers(&mut self, officers: &[String], name: &str) -> Vec<String> {
        let field = self.f(name);
        if officers.len() > MAX_OFFICERS {
            self.v
                .add(&field, format!("at most {MAX_OFFICERS} officers"));
            return Vec::new();
        }
        let mut seen = std::collections::HashSet::with_capacity(officers.len());
        for (i, o) in officers.iter().enumerate() {
            match parse_top(o, "officers") {
                Some(id) if seen.contains(&id) => {
                    self.v.add(format!("{field}[{i}]"), "appears twice")
                }
                Some(id) => {
                    seen.insert(id);
                }
                None => self.v.add(
                    format!("{field}[{i}]"),
                    "must be a resource name officers/{id}",
                ),
            }
        }
        officers.to_vec()
    }

    fn power(&mut self, power: &str, name: &str) -> String {
        if parse_nested(power, "powers").is_none() {
            self.v.add(
                self.f(name),
                "must be a resource name bodies/{body}/powers/{power}",
            );
        }
        power.to_string()
    }

    fn records(&mut self, records: &[ProcessRecord], name: &str) {
        if records.len() > MAX_RECORDS {
            let field = self.f(name);
            self.v.add(field, format!("at most {MAX_RECORDS} records"));
            return;
        }
        for (i, r) in records.iter().enumerate() {
            let at = format!("{name}[{i}].");
            self.enum_of::<RecordKind>(r.kind, &format!("{at}kind"));
            let field = self.f(&format!("{at}content_sha256"));
            self.v.check(
                r.content_sha256.len() == 64
                    && r.content_sha256
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
                field,
                "must be 64 lowercase hex digits",
            );
            self.text(&r.archive_ref, &format!("{at}archive_ref"), 512);
        }
    }

    fn finite(&mut self, x: f64, name: &str, lo: f64, hi: f64, lo_open: bool) {
        let ok = x.is_finite() && x <= hi && if lo_open { x > lo } else { x >= lo };
        let field = self.f(name);
        let open = if lo_open { "more than" } else { "at least" };
        self.v
            .check(ok, field, format!("must be {open} {lo} and at most {hi}"));
    }
}

/// What one payload contributes besides the common fields.
#[derive(Default)]
struct Shape {
    occurred_us: i64,
    officers: Vec<String>,
    officers_field: String,
    power: String,
    power_field: String,
    reference: Option<Reference>,
}

/// Checks `r` as of `now`; field paths are relative to the SubmitFactRequest.
pub fn prepare(r: &SubmitFactRequest, now: DateTime<Utc>) -> AppResult<Prepared> {
    let mut v = Violations::new();
    let Some(input) = r.fact.as_ref() else {
        v.add("fact", "is required");
        return Err(v.into_error());
    };
    let fp = "fact.".to_string();
    let body_id = top_field(&mut v, &input.body, "bodies", &format!("{fp}body"));
    let mut c = Check {
        v: &mut v,
        now_us: now.timestamp_micros(),
        prefix: fp.clone(),
    };
    c.text(&input.source_id, "source_id", 128);
    c.v.max_len(&r.correction_reason, 1000, "correction_reason");
    let mut payload = input.payload.clone();
    let shape = match payload.as_mut() {
        None => {
            c.v.add(
                format!("{fp}payload"),
                "exactly one kind of fact is required",
            );
            Shape::default()
        }
        Some(p) => shape(&mut c, p),
    };
    v.finish()?;
    let payload = payload.unwrap_or(Payload::Training(Training::default()));
    let fact = Fact {
        body: input.body.clone(),
        source_id: input.source_id.clone(),
        kind: payload.kind() as i32,
        payload: Some(payload),
        ..Default::default()
    };
    let kind = FactKind::try_from(fact.kind).unwrap_or_default();
    let digest = digest(&fact);
    Ok(Prepared {
        fact,
        body_id,
        kind,
        occurred_us: shape.occurred_us,
        officers: shape.officers,
        officers_field: shape.officers_field,
        power: shape.power,
        power_field: shape.power_field,
        reference: shape.reference,
        correction_reason: r.correction_reason.clone(),
        digest,
    })
}

fn shape(c: &mut Check<'_>, p: &mut Payload) -> Shape {
    let mut s = Shape::default();
    match p {
        Payload::Matter(m) => {
            let at = "matter.";
            s.power = c.power(&m.power, &format!("{at}power"));
            s.power_field = c.f(&format!("{at}power"));
            c.enum_of::<PowerCategory>(m.act_kind, &format!("{at}act_kind"));
            s.officers = c.officers(&m.officers, &format!("{at}officers"));
            s.officers_field = c.f(&format!("{at}officers"));
            s.occurred_us = c.time(m.accept_time.as_ref(), &format!("{at}accept_time"));
            c.records(&m.records, &format!("{at}records"));
            // Computed from the registry, never taken from the submitter.
            m.time_limit_days = 0;
            m.overdue_time = None;
        }
        Payload::MatterClosing(m) => {
            let at = "matter_closing.";
            s.reference = c.source_ref(&m.matter, &format!("{at}matter"), FactKind::Matter);
            s.occurred_us = c.time(m.close_time.as_ref(), &format!("{at}close_time"));
            c.enum_of::<MatterOutcome>(m.outcome, &format!("{at}outcome"));
        }
        Payload::Decision(d) => {
            let at = "decision.";
            s.reference = c.source_ref(&d.matter, &format!("{at}matter"), FactKind::Matter);
            s.occurred_us = c.time(d.decide_time.as_ref(), &format!("{at}decide_time"));
            if let Some(p) = d.penalty.as_mut() {
                p.within_benchmark = false;
                c.text(&p.violation, &format!("{at}penalty.violation"), 500);
                c.enum_of::<CircumstanceGrade>(p.grade, &format!("{at}penalty.grade"));
                let field = c.f(&format!("{at}penalty.amount_fen"));
                c.v.check(p.amount_fen >= 0, field, "must not be negative");
            }
            c.optional_text(&d.other_measure, &format!("{at}other_measure"), 1000);
            s.officers = c.optional_officers(&d.officers, &format!("{at}officers"));
            s.officers_field = c.f(&format!("{at}officers"));
            if let Some(lr) = &d.legal_review {
                c.enum_of::<LegalReviewResult>(lr.result, &format!("{at}legal_review.result"));
                c.time(
                    lr.review_time.as_ref(),
                    &format!("{at}legal_review.review_time"),
                );
            }
        }
        Payload::Inspection(i) => {
            let at = "inspection.";
            s.power = c.power(&i.power, &format!("{at}power"));
            s.power_field = c.f(&format!("{at}power"));
            s.officers = c.officers(&i.officers, &format!("{at}officers"));
            s.officers_field = c.f(&format!("{at}officers"));
            c.text(&i.target, &format!("{at}target"), 128);
            s.occurred_us = c.time(i.inspect_time.as_ref(), &format!("{at}inspect_time"));
            c.optional_text(&i.random_draw, &format!("{at}random_draw"), 128);
            // Output only: intake computes it from the draws service.
            i.draw_verified = false;
            c.optional_text(&i.cause, &format!("{at}cause"), 128);
            c.records(&i.records, &format!("{at}records"));
        }
        Payload::ReviewOutcome(r) => {
            let at = "review_outcome.";
            r.wrongful = false;
            r.reporter.clear();
            s.reference = c.source_ref(&r.decision, &format!("{at}decision"), FactKind::Decision);
            c.enum_of::<ReviewKind>(r.kind, &format!("{at}kind"));
            c.enum_of::<ReviewResult>(r.result, &format!("{at}result"));
            s.occurred_us = c.time(r.decide_time.as_ref(), &format!("{at}decide_time"));
        }
        Payload::Complaint(m) => {
            let at = "complaint.";
            c.enum_of::<ComplaintSource>(m.source, &format!("{at}source"));
            s.occurred_us = c.time(m.accept_time.as_ref(), &format!("{at}accept_time"));
            s.officers = c.officers(&m.officers, &format!("{at}officers"));
            s.officers_field = c.f(&format!("{at}officers"));
        }
        Payload::ComplaintClosing(m) => {
            let at = "complaint_closing.";
            s.reference =
                c.source_ref(&m.complaint, &format!("{at}complaint"), FactKind::Complaint);
            s.occurred_us = c.time(m.close_time.as_ref(), &format!("{at}close_time"));
            s.officers = c.optional_officers(&m.officers, &format!("{at}officers"));
            s.officers_field = c.f(&format!("{at}officers"));
        }
        Payload::Transfer(t) => {
            let at = "transfer.";
            c.enum_of::<TransferKind>(t.kind, &format!("{at}kind"));
            c.text(&t.recipient, &format!("{at}recipient"), 256);
            s.occurred_us = c.time(t.transfer_time.as_ref(), &format!("{at}transfer_time"));
            s.officers = c.officers(&t.officers, &format!("{at}officers"));
            s.officers_field = c.f(&format!("{at}officers"));
            c.optional_text(&t.matter, &format!("{at}matter"), 128);
            if !t.matter.is_empty() {
                s.reference = c.source_ref(&t.matter, &format!("{at}matter"), FactKind::Matter);
            }
        }
        Payload::Training(t) => {
            let at = "training.";
            let field = c.f(&format!("{at}officer"));
            c.v.check(
                parse_top(&t.officer, "officers").is_some(),
                &field,
                "must be a resource name officers/{id}",
            );
            s.officers = vec![t.officer.clone()];
            s.officers_field = field;
            c.finite(t.hours, &format!("{at}hours"), 0.0, 200.0, true);
            if t.has_exam {
                c.finite(t.exam_score, &format!("{at}exam_score"), 0.0, 100.0, false);
            } else {
                let field = c.f(&format!("{at}exam_score"));
                c.v.check(t.exam_score == 0.0, field, "is set but has_exam is false");
            }
            s.occurred_us = c.time(t.train_time.as_ref(), &format!("{at}train_time"));
            if !t.organizer.is_empty() {
                let field = c.f(&format!("{at}organizer"));
                c.v.check(
                    parse_top(&t.organizer, "bodies").is_some(),
                    field,
                    "must be a resource name bodies/{id}",
                );
            }
        }
        Payload::CaseFileReview(r) => {
            let at = "case_file_review.";
            r.reviewer.clear();
            s.reference = c.source_ref(&r.decision, &format!("{at}decision"), FactKind::Decision);
            s.occurred_us = c.time(r.review_time.as_ref(), &format!("{at}review_time"));
        }
        Payload::AssessmentItem(a) => {
            let at = "assessment_item.";
            let this_year =
                (Utc::now() + chrono::Duration::seconds(CITY_OFFSET_SECS as i64)).year();
            let field = c.f(&format!("{at}year"));
            c.v.check(
                (EARLIEST_YEAR..=this_year).contains(&a.year),
                field,
                format!("must be between {EARLIEST_YEAR} and {this_year}"),
            );
            let field = c.f(&format!("{at}item"));
            c.v.check(
                (1..=11).contains(&a.item),
                field,
                "must be an Art. 8 item, 1 to 11",
            );
            c.finite(a.score, &format!("{at}score"), 0.0, 100.0, false);
            c.optional_text(&a.note, &format!("{at}note"), 2000);
            c.time(a.score_time.as_ref(), &format!("{at}score_time"));
            // The item belongs to its year: it is counted from the year's start.
            s.occurred_us = year_start_us(a.year);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use probity_proto::intake::v1::{Inspection, Matter, Training, Transfer};

    use super::*;

    /// A fact stored before the AIP-142 renames (accepted_at, at, ...) must
    /// replay when resent: its digest is of the prost encoding, which names
    /// fields by number. The bytes are written by hand from those numbers.
    #[test]
    fn the_digest_is_by_field_number_not_name() {
        let ts = || {
            Some(prost_types::Timestamp {
                seconds: 1,
                nanos: 0,
            })
        };
        let cases: [(Payload, &[u8]); 4] = [
            (
                Payload::Matter(Matter {
                    accept_time: ts(),
                    ..Default::default()
                }),
                &[0xa2, 0x01, 0x04, 0x22, 0x02, 0x08, 0x01],
            ),
            (
                Payload::Inspection(Inspection {
                    inspect_time: ts(),
                    ..Default::default()
                }),
                &[0xba, 0x01, 0x04, 0x22, 0x02, 0x08, 0x01],
            ),
            (
                Payload::Transfer(Transfer {
                    transfer_time: ts(),
                    ..Default::default()
                }),
                &[0xda, 0x01, 0x04, 0x1a, 0x02, 0x08, 0x01],
            ),
            (
                Payload::Training(Training {
                    train_time: ts(),
                    ..Default::default()
                }),
                &[0xe2, 0x01, 0x04, 0x2a, 0x02, 0x08, 0x01],
            ),
        ];
        for (payload, payload_bytes) in cases {
            let fact = Fact {
                body: "b1".into(),
                source_id: "s".into(),
                payload: Some(payload),
                ..Default::default()
            };
            let mut wire = vec![0x12, 0x02, b'b', b'1', 0x1a, 0x01, b's'];
            wire.extend_from_slice(payload_bytes);
            assert_eq!(fact.encode_to_vec(), wire);
            assert_eq!(digest(&fact), sha256_hex(&wire));
        }
    }
}
