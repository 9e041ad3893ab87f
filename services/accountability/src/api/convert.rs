//! The API's messages to the service's own row types and back
//! (`store::rows`): the one place that knows both. A message's enum field
//! holding a number the API does not define reads as unspecified.
use chrono::{DateTime, Utc};
use probity_common::names::{from_ts, to_ts};
use probity_proto::accountability::v1 as pb;
use prost_types::Timestamp;

use crate::store::rows;

/// An enum of the rows and its message counterpart.
pub trait Mirror: Sized {
    /// From a message's enum field.
    fn from_pb(value: i32) -> Self;
    /// To a message's enum field.
    fn pb(self) -> i32;
}

/// Pairs variants by name; the numbers must agree too (they are the
/// tables' integer columns and the API's filters), which the compiler checks.
macro_rules! mirror {
    ($($row:ident => $pb:ident { $($v:ident),* $(,)? })*) => {$(
        impl Mirror for rows::$row {
            fn from_pb(value: i32) -> Self {
                match pb::$pb::try_from(value) {
                    $(Ok(pb::$pb::$v) => rows::$row::$v,)*
                    _ => rows::$row::Unspecified,
                }
            }
            fn pb(self) -> i32 {
                match self {
                    rows::$row::Unspecified => pb::$pb::Unspecified as i32,
                    $(rows::$row::$v => pb::$pb::$v as i32,)*
                }
            }
        }
        $(const _: () = assert!(rows::$row::$v as i32 == pb::$pb::$v as i32);)*
    )*};
}

mirror! {
    SubjectKind => SubjectKind { Body, Officer }
    EvidenceKind => EvidenceKind { Fact, Finding, AuditEntry, Document, RankingFlag, CorrectionOrder }
    OriginKind => OriginKind { Manual, Finding, RankingFlag, CorrectionOrder }
    CaseState => CaseState { Opened, Investigating, Proposed, Decided, Contested, Executed, Closed, Dismissed }
    SanctionKind => SanctionKind {
        Rectification, PublicCriticism, LossOfAwardEligibility, Interview, Admonition,
        WrittenWarning, WrittenSelfExamination, CredentialWithheld, OffPostTraining,
        TransferOut, QualificationCancelled, CredentialRevoked, Referral,
    }
    SanctionTarget => SanctionTarget { Subject, PrincipalLeader, ResponsibleLeader }
    ReferralTo => ReferralTo { Personnel, Supervisory }
    ContestOutcome => ContestOutcome { Pending, Upheld, Changed }
    OrderState => OrderState { Open, Corrected, Refused, Overdue }
    OrderAnswer => OrderAnswer { Corrected, Refused }
    ReferralState => ReferralState { Sent, Received, Answered, Overdue }
}

fn time_in(t: &Option<Timestamp>) -> Option<DateTime<Utc>> {
    t.as_ref().and_then(from_ts)
}

fn time_out(t: &Option<DateTime<Utc>>) -> Option<Timestamp> {
    t.map(to_ts)
}

pub fn subject_in(s: &pb::Subject) -> rows::Subject {
    rows::Subject {
        name: s.name.clone(),
        kind: Mirror::from_pb(s.kind),
        body: s.body.clone(),
        principal_leader: s.principal_leader.clone(),
        responsible_leader: s.responsible_leader.clone(),
        display_name: s.display_name.clone(),
    }
}

fn subject_out(s: &rows::Subject) -> pb::Subject {
    pb::Subject {
        name: s.name.clone(),
        kind: s.kind.pb(),
        body: s.body.clone(),
        principal_leader: s.principal_leader.clone(),
        responsible_leader: s.responsible_leader.clone(),
        display_name: s.display_name.clone(),
    }
}

pub fn ground_in(g: &pb::Ground) -> rows::Ground {
    rows::Ground {
        code: g.code.clone(),
        article: g.article.clone(),
        title_zh: g.title_zh.clone(),
        title_en: g.title_en.clone(),
        detail: g.detail.clone(),
    }
}

fn ground_out(g: &rows::Ground) -> pb::Ground {
    pb::Ground {
        code: g.code.clone(),
        article: g.article.clone(),
        title_zh: g.title_zh.clone(),
        title_en: g.title_en.clone(),
        detail: g.detail.clone(),
    }
}

pub fn evidence_in(e: &pb::Evidence) -> rows::Evidence {
    rows::Evidence {
        kind: Mirror::from_pb(e.kind),
        reference: e.reference.clone(),
        revision: e.revision,
        rule: e.rule.clone(),
        officer: e.officer.clone(),
        sha256: e.sha256.clone(),
        note: e.note.clone(),
        added_by: e.added_by.clone(),
        add_time: time_in(&e.add_time),
    }
}

fn evidence_out(e: &rows::Evidence) -> pb::Evidence {
    pb::Evidence {
        kind: e.kind.pb(),
        reference: e.reference.clone(),
        revision: e.revision,
        rule: e.rule.clone(),
        officer: e.officer.clone(),
        sha256: e.sha256.clone(),
        note: e.note.clone(),
        added_by: e.added_by.clone(),
        add_time: time_out(&e.add_time),
    }
}

pub fn evidence_list_in(list: &[pb::Evidence]) -> Vec<rows::Evidence> {
    list.iter().map(evidence_in).collect()
}

fn evidence_list_out(list: &[rows::Evidence]) -> Vec<pb::Evidence> {
    list.iter().map(evidence_out).collect()
}

fn origin_in(o: &pb::Origin) -> rows::Origin {
    rows::Origin {
        kind: Mirror::from_pb(o.kind),
        reference: o.reference.clone(),
        key: o.key.clone(),
    }
}

fn origin_out(o: &rows::Origin) -> pb::Origin {
    pb::Origin {
        kind: o.kind.pb(),
        reference: o.reference.clone(),
        key: o.key.clone(),
    }
}

fn sanction_in(s: &pb::Sanction) -> rows::Sanction {
    rows::Sanction {
        kind: Mirror::from_pb(s.kind),
        target: Mirror::from_pb(s.target),
        until: time_in(&s.until),
        deadline: time_in(&s.deadline),
        referral_to: Mirror::from_pb(s.referral_to),
        note: s.note.clone(),
    }
}

fn sanction_out(s: &rows::Sanction) -> pb::Sanction {
    pb::Sanction {
        kind: s.kind.pb(),
        target: s.target.pb(),
        until: time_out(&s.until),
        deadline: time_out(&s.deadline),
        referral_to: s.referral_to.pb(),
        note: s.note.clone(),
    }
}

pub fn decision_in(d: &pb::Decision) -> rows::Decision {
    rows::Decision {
        severity: d.severity,
        sanctions: d.sanctions.iter().map(sanction_in).collect(),
        reasoning: d.reasoning.clone(),
        decided_by: d.decided_by.clone(),
        decided_body: String::new(),
        time: time_in(&d.time),
    }
}

fn decision_out(d: &rows::Decision) -> pb::Decision {
    pb::Decision {
        severity: d.severity,
        sanctions: d.sanctions.iter().map(sanction_out).collect(),
        reasoning: d.reasoning.clone(),
        decided_by: d.decided_by.clone(),
        time: time_out(&d.time),
    }
}

fn contest_in(c: &pb::Contest) -> rows::Contest {
    rows::Contest {
        reason: c.reason.clone(),
        by: c.by.clone(),
        time: time_in(&c.time),
        outcome: Mirror::from_pb(c.outcome),
        resolution: c.resolution.clone(),
        resolved_by: c.resolved_by.clone(),
        resolve_time: time_in(&c.resolve_time),
        contested: c.contested.as_ref().map(decision_in),
    }
}

fn contest_out(c: &rows::Contest) -> pb::Contest {
    pb::Contest {
        reason: c.reason.clone(),
        by: c.by.clone(),
        time: time_out(&c.time),
        outcome: c.outcome.pb(),
        resolution: c.resolution.clone(),
        resolved_by: c.resolved_by.clone(),
        resolve_time: time_out(&c.resolve_time),
        contested: c.contested.as_ref().map(decision_out),
    }
}

/// A stored case message (m0003 reads the ones stored before it); its
/// name, time limit and effects are not part of the record.
pub fn case_in(c: &pb::Case) -> rows::CaseRecord {
    rows::CaseRecord {
        subject: c.subject.as_ref().map(subject_in).unwrap_or_default(),
        grounds: c.grounds.iter().map(ground_in).collect(),
        origin: c.origin.as_ref().map(origin_in).unwrap_or_default(),
        state: Mirror::from_pb(c.state),
        title: c.title.clone(),
        evidence: evidence_list_in(&c.evidence),
        proposal: c.proposal.as_ref().map(decision_in),
        decision: c.decision.as_ref().map(decision_in),
        contest: c.contest.as_ref().map(contest_in),
        create_time: time_in(&c.create_time),
        state_time: time_in(&c.state_time),
        dismissal_reason: c.dismissal_reason.clone(),
        version: c.version,
        escalate_time: time_in(&c.escalate_time),
    }
}

/// The case `id` as its record has it (no time limit or effects: see
/// `read::case_view`).
pub fn case_out(id: &str, c: &rows::CaseRecord) -> pb::Case {
    pb::Case {
        name: format!("cases/{id}"),
        subject: Some(subject_out(&c.subject)),
        grounds: c.grounds.iter().map(ground_out).collect(),
        origin: Some(origin_out(&c.origin)),
        state: c.state.pb(),
        title: c.title.clone(),
        evidence: evidence_list_out(&c.evidence),
        proposal: c.proposal.as_ref().map(decision_out),
        decision: c.decision.as_ref().map(decision_out),
        contest: c.contest.as_ref().map(contest_out),
        create_time: time_out(&c.create_time),
        state_time: time_out(&c.state_time),
        dismissal_reason: c.dismissal_reason.clone(),
        version: c.version,
        escalate_time: time_out(&c.escalate_time),
        ..Default::default()
    }
}

pub fn order_in(o: &pb::CorrectionOrder) -> rows::OrderRecord {
    rows::OrderRecord {
        body: o.body.clone(),
        act: o.act.clone(),
        evidence: evidence_list_in(&o.evidence),
        deadline: time_in(&o.deadline),
        state: Mirror::from_pb(o.state),
        answer: Mirror::from_pb(o.answer),
        answer_note: o.answer_note.clone(),
        answer_evidence: evidence_list_in(&o.answer_evidence),
        answer_time: time_in(&o.answer_time),
        case: o.case.clone(),
        create_time: time_in(&o.create_time),
        created_by: o.created_by.clone(),
        body_display_name: o.body_display_name.clone(),
    }
}

pub fn order_out(id: &str, o: &rows::OrderRecord) -> pb::CorrectionOrder {
    pb::CorrectionOrder {
        name: format!("orders/{id}"),
        body: o.body.clone(),
        act: o.act.clone(),
        evidence: evidence_list_out(&o.evidence),
        deadline: time_out(&o.deadline),
        state: o.state.pb(),
        answer: o.answer.pb(),
        answer_note: o.answer_note.clone(),
        answer_evidence: evidence_list_out(&o.answer_evidence),
        answer_time: time_out(&o.answer_time),
        case: o.case.clone(),
        create_time: time_out(&o.create_time),
        created_by: o.created_by.clone(),
        body_display_name: o.body_display_name.clone(),
    }
}

pub fn commendation_in(c: &pb::Commendation) -> rows::CommendationRecord {
    rows::CommendationRecord {
        year: c.year,
        subject: c.subject.clone(),
        subject_kind: Mirror::from_pb(c.subject_kind),
        run: c.run.clone(),
        score: c.score,
        rank: c.rank,
        peer_group: c.peer_group.clone(),
        note: c.note.clone(),
        create_time: time_in(&c.create_time),
        body: c.body.clone(),
    }
}

pub fn commendation_out(id: &str, c: &rows::CommendationRecord) -> pb::Commendation {
    pb::Commendation {
        name: format!("commendations/{id}"),
        year: c.year,
        subject: c.subject.clone(),
        subject_kind: c.subject_kind.pb(),
        run: c.run.clone(),
        score: c.score,
        rank: c.rank,
        peer_group: c.peer_group.clone(),
        note: c.note.clone(),
        create_time: time_out(&c.create_time),
        body: c.body.clone(),
    }
}

/// An issued notice as the API shows it.
pub fn notice_out(id: &str, n: &crate::notices::NoticeRecord) -> pb::Notice {
    pb::Notice {
        name: format!("notices/{id}"),
        kind: n.kind.code(),
        number: n.number.clone(),
        title: n.title.clone(),
        issuer: n.issuer.clone(),
        addressee: n.addressee.clone(),
        subject: n.subject.clone(),
        subject_kind: n.subject_kind.pb(),
        subject_display_name: n.subject_display_name.clone(),
        body: n.body.clone(),
        year: n.year,
        assessment_year: n.assessment_year,
        facts: n.facts.clone(),
        article: n.article.clone(),
        decision: n.decision.clone(),
        closing: n.closing.clone(),
        english: n.english.clone(),
        source: n.source.clone(),
        issue_time: time_out(&n.issue_time),
    }
}

/// A referral as the API shows it, with its light `now`.
pub fn referral_out(id: &str, r: &rows::ReferralRecord, light: pb::DeadlineStatus) -> pb::Referral {
    pb::Referral {
        name: format!("referrals/{id}"),
        case: r.case.clone(),
        to: r.to.pb(),
        subject: r.subject.clone(),
        subject_display_name: r.subject_display_name.clone(),
        body: r.body.clone(),
        state: r.state.pb(),
        note: r.note.clone(),
        send_time: time_out(&r.send_time),
        due_time: time_out(&r.due_time),
        receive_time: time_out(&r.receive_time),
        receipt_reference: r.receipt_reference.clone(),
        answer_time: time_out(&r.answer_time),
        answer: r.answer.clone(),
        answer_document: r.answer_document.as_ref().map(evidence_out),
        overdue_time: time_out(&r.overdue_time),
        deadline: light as i32,
    }
}
