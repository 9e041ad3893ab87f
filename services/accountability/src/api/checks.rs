//! Input checks shared by the handlers: evidence, grounds, decisions.
//! Each adds every bad field to one Violations (one BadRequest).
use probity_common::{
    AppError, AppResult, Reason, Violations,
    names::{from_ts, parse_top},
};
use probity_proto::accountability::v1::{
    Decision, Evidence, EvidenceKind, Ground, ReferralTo, SanctionKind, SanctionTarget, SubjectKind,
};

use super::convert::Mirror;
use crate::{
    catalogue, severity,
    store::rows::{self, CaseRecord},
};

pub const MAX_TEXT: usize = 2000;
pub const MAX_EVIDENCE: usize = 100;
pub const MAX_SANCTIONS: usize = 20;

pub fn evidence(v: &mut Violations, list: &[Evidence], field: &str) {
    if list.len() > MAX_EVIDENCE {
        v.add(field, format!("at most {MAX_EVIDENCE}"));
    }
    for (i, e) in list.iter().enumerate().take(MAX_EVIDENCE) {
        let f = |n: &str| format!("{field}[{i}].{n}");
        let kind = EvidenceKind::try_from(e.kind).unwrap_or_default();
        v.max_len(&e.reference, 512, &f("reference"));
        v.max_len(&e.note, MAX_TEXT, &f("note"));
        let r = e.reference.as_str();
        let ok = match kind {
            EvidenceKind::Unspecified => {
                v.add(f("kind"), "must be set");
                continue;
            }
            EvidenceKind::Fact | EvidenceKind::Finding => parse_top(r, "facts").is_some(),
            EvidenceKind::CorrectionOrder => parse_top(r, "orders").is_some(),
            EvidenceKind::AuditEntry => audit_ref(r),
            EvidenceKind::RankingFlag => r.starts_with("rankings/") && r.len() > 9,
            EvidenceKind::Document => !r.trim().is_empty(),
        };
        if !ok {
            v.add(
                f("reference"),
                format!("is not a reference for {}", kind.as_str_name()),
            );
        }
        if kind == EvidenceKind::Finding {
            v.check(e.revision >= 1, f("revision"), "must be at least 1");
            v.non_empty(&e.rule, &f("rule"));
            v.max_len(&e.rule, 64, &f("rule"));
            if !e.officer.is_empty() && parse_top(&e.officer, "officers").is_none() {
                v.add(f("officer"), "must be officers/{officer}");
            }
        }
        if kind == EvidenceKind::Document
            && !(e.sha256.len() == 64 && e.sha256.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            v.add(
                f("sha256"),
                "must be 64 hex digits (the document's SHA-256)",
            );
        }
        // Fields of another kind of evidence would be kept and shown as
        // given, unchecked: refused instead.
        if kind != EvidenceKind::Finding {
            let only = "only for FINDING evidence";
            v.check(e.revision == 0, f("revision"), only);
            v.check(e.rule.is_empty(), f("rule"), only);
            v.check(e.officer.is_empty(), f("officer"), only);
        }
        if kind != EvidenceKind::Document {
            v.check(
                e.sha256.is_empty(),
                f("sha256"),
                "only for DOCUMENT evidence",
            );
        }
    }
}

/// audit/{registry|intake|accountability}/{sequence}
fn audit_ref(r: &str) -> bool {
    let mut parts = r.split('/');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("audit"), Some("registry" | "intake" | "accountability"), Some(seq), None)
            if seq.parse::<u64>().is_ok_and(|n| n > 0)
    )
}

pub fn grounds(v: &mut Violations, list: &[Ground], kind: Option<rows::SubjectKind>, field: &str) {
    if list.is_empty() {
        v.add(field, "at least one ground");
    }
    if list.len() > 50 {
        v.add(field, "at most 50");
    }
    for (i, g) in list.iter().enumerate().take(50) {
        let f = format!("{field}[{i}].code");
        match catalogue::ground(&g.code) {
            None => v.add(&f, "not a ground of the catalogue (ListGrounds)"),
            Some(def) => {
                if let Some(k) = kind
                    && !def.fits(k)
                {
                    v.add(
                        &f,
                        format!(
                            "{} cannot be raised against this kind of subject",
                            def.article
                        ),
                    );
                }
            }
        }
        if list[..i].iter().any(|o| o.code == g.code) {
            v.add(&f, "listed twice");
        }
        v.max_len(&g.detail, MAX_TEXT, &format!("{field}[{i}].detail"));
    }
}

/// The structure of a proposal or decision; what depends on the case (its
/// subject's kind and named leaders) only when the case is known. The
/// severity table is checked after (FAILED_PRECONDITION, [`severity_rule`]).
pub fn decision(v: &mut Violations, d: Option<&Decision>, case: Option<&CaseRecord>, field: &str) {
    let Some(d) = d else {
        v.add(field, "is required");
        return;
    };
    let subject = case.map(|c| &c.subject);
    let now = chrono::Utc::now();
    v.check(
        (1..=4).contains(&d.severity),
        format!("{field}.severity"),
        "must be 1-4 (Art. 21)",
    );
    v.non_empty(&d.reasoning, &format!("{field}.reasoning"));
    v.max_len(&d.reasoning, 4 * MAX_TEXT, &format!("{field}.reasoning"));
    if d.sanctions.is_empty() {
        v.add(format!("{field}.sanctions"), "at least one");
    }
    if d.sanctions.len() > MAX_SANCTIONS {
        v.add(
            format!("{field}.sanctions"),
            format!("at most {MAX_SANCTIONS}"),
        );
    }
    for (i, s) in d.sanctions.iter().enumerate().take(MAX_SANCTIONS) {
        let f = |n: &str| format!("{field}.sanctions[{i}].{n}");
        let kind = SanctionKind::try_from(s.kind).unwrap_or_default();
        if kind == SanctionKind::Unspecified {
            v.add(f("kind"), "must be a sanction of the catalogue");
        }
        let target = match SanctionTarget::try_from(s.target) {
            Ok(t) => t,
            Err(_) => {
                v.add(f("target"), "unknown target");
                SanctionTarget::Unspecified
            }
        };
        let leader = severity::is_leader(s.target);
        if leader && let Some(subject) = subject {
            leader_named(v, subject, target, &f("target"));
        }
        let future =
            |t: Option<&prost_types::Timestamp>| t.and_then(from_ts).is_some_and(|t| t > now);
        match kind {
            SanctionKind::CredentialWithheld => {
                v.check(
                    future(s.until.as_ref()),
                    f("until"),
                    "required, in the future",
                );
            }
            SanctionKind::Rectification => {
                v.check(
                    future(s.deadline.as_ref()),
                    f("deadline"),
                    "required, in the future",
                );
            }
            SanctionKind::Referral => {
                v.check(
                    matches!(
                        ReferralTo::try_from(s.referral_to),
                        Ok(ReferralTo::Personnel | ReferralTo::Supervisory)
                    ),
                    f("referral_to"),
                    "PERSONNEL or SUPERVISORY",
                );
            }
            _ => {}
        }
        v.max_len(&s.note, MAX_TEXT, &f("note"));
        let same = |o: &probity_proto::accountability::v1::Sanction| {
            o.kind == s.kind
                && severity::is_leader(o.target) == leader
                && (o.target == s.target || !leader)
        };
        if d.sanctions[..i].iter().any(same) {
            v.add(f("kind"), "the same sanction for the same person twice");
        }
    }
}

/// A leader sanctioned must be one the body case names.
fn leader_named(v: &mut Violations, subject: &rows::Subject, target: SanctionTarget, field: &str) {
    if subject.kind != rows::SubjectKind::Body {
        v.add(field, "leaders are sanctioned only in cases against a body");
        return;
    }
    let named = if target == SanctionTarget::PrincipalLeader {
        &subject.principal_leader
    } else {
        &subject.responsible_leader
    };
    if named.is_empty() {
        v.add(
            field,
            "the case names no such leader (subject.principal_leader / responsible_leader)",
        );
    }
}

/// Refuses a decision the severity table does not allow.
pub fn severity_rule(d: &Decision, case: &CaseRecord) -> AppResult<()> {
    let kind = SubjectKind::try_from(case.subject.kind.pb()).unwrap_or_default();
    if assessment_transfer(d, case, kind) {
        return Ok(());
    }
    severity::check(d, kind).map_err(|m| AppError::refused(Reason::SanctionNotAllowed, m))
}

/// Art. 6: an officer who fails the annual assessment (调离执法岗位) is
/// moved out of enforcement posts. That is the assessment's consequence, not
/// a breach graded by Art. 21, so a case on that ground alone may end in
/// the transfer (and a referral) without the withholding Art. 21(3) puts
/// beside it at that level.
fn assessment_transfer(d: &Decision, case: &CaseRecord, kind: SubjectKind) -> bool {
    kind == SubjectKind::Officer
        && !case.grounds.is_empty()
        && case.grounds.iter().all(|g| g.code == "ART06")
        && d.sanctions
            .iter()
            .any(|s| s.kind == SanctionKind::TransferOut as i32)
        && d.sanctions.iter().all(|s| {
            matches!(
                SanctionKind::try_from(s.kind),
                Ok(SanctionKind::TransferOut | SanctionKind::Referral)
            )
        })
}

/// A required, bounded reason.
pub fn reason(v: &mut Violations, reason: &str, field: &str) {
    v.non_empty(reason, field);
    v.max_len(reason, MAX_TEXT, field);
}
