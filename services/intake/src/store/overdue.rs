//! Matters and their statutory time limits (INACTION_OVERDUE): the matters
//! still open (no live closing), the findings already recorded on a matter,
//! and the sweep's finding rows.
use probity_common::{AppResult, db::Filter, db::stmt};
use probity_proto::intake::v1::{Fact, FactKind, fact::Payload};
use prost::Message;
use sea_orm::{ConnectionTrait, Value};

use crate::findings::Found;

const INACTION: &str = probity_rules::catalogue::INACTION_OVERDUE.code;

/// A matter with no live closing, as stored now.
#[derive(Debug, Clone)]
pub struct OpenMatter {
    pub id: i64,
    pub body: String,
    pub source_id: String,
    pub revision: i32,
    pub voided: bool,
    pub accepted_us: i64,
    /// When the current revision was recorded (a void's time, for a voided one).
    pub recorded_us: i64,
    pub fact: Fact,
}

impl OpenMatter {
    pub fn matter(&self) -> Option<&probity_proto::intake::v1::Matter> {
        match self.fact.payload.as_ref() {
            Some(Payload::Matter(m)) => Some(m),
            _ => None,
        }
    }
}

/// Which open matters to read.
#[derive(Default)]
pub struct Scan<'a> {
    /// Fact ids above this one, in id order.
    pub after: i64,
    pub limit: u64,
    /// Only this body's.
    pub body: Option<&'a str>,
    /// A department's subtree (a LIKE pattern on body_path).
    pub scope: Option<String>,
    /// Voided matters too: a void does not end a matter's time.
    pub voided: bool,
    /// Only matters with no INACTION_OVERDUE on their record (the sweep's).
    pub unfound: bool,
}

/// Matters of the scan that no live closing refers to (and, for voided
/// ones, that no closing ever referred to), by id. The payload holds
/// the matter's limit; the caller decides which are due.
pub async fn open_matters(c: &impl ConnectionTrait, s: &Scan<'_>) -> AppResult<Vec<OpenMatter>> {
    let mut w = Filter::default();
    w.and("f.kind = $?", FactKind::Matter as i32);
    w.and("f.id > $?", s.after);
    if !s.voided {
        w.and("f.voided = $?", false);
    }
    if let Some(b) = s.body {
        w.and("f.body = $?", b.to_string());
    }
    if let Some(p) = &s.scope {
        w.and("f.body_path LIKE $? ESCAPE '\\'", p.clone());
    }
    // A live closing ends the matter; for a voided matter any closing does
    // (what the closing said is on its own record).
    let n = w.next();
    w.and_numbered(
        format!(
            "NOT EXISTS (SELECT 1 FROM intake_facts c WHERE c.body = f.body \
             AND c.refers_to = f.source_id AND c.refers_to <> '' AND c.kind = ${n} \
             AND (c.voided = ${} OR f.voided = ${}))",
            n + 1,
            n + 2
        ),
        vec![
            Value::from(FactKind::MatterClosing as i32),
            false.into(),
            true.into(),
        ],
    );
    if s.unfound {
        // Found on the matter by an earlier sweep, or on a closing of it
        // since voided (its finding stands, and the matter is not found
        // twice).
        // Two NOT EXISTS, not one with an OR: each is an index probe per
        // matter (the findings' key by fact, the closings by what they
        // refer to), where the OR had every INACTION finding read for every
        // matter (11 s for 100,000 matters, 0.7 s so; docs/deploy.md).
        let n = w.next();
        w.and_numbered(
            format!(
                "NOT EXISTS (SELECT 1 FROM intake_findings x WHERE x.rule = ${n} \
                 AND x.fact_id = f.id) \
                 AND NOT EXISTS (SELECT 1 FROM intake_facts c JOIN intake_findings x \
                 ON x.fact_id = c.id AND x.rule = ${n} \
                 WHERE c.body = f.body AND c.refers_to = f.source_id AND c.refers_to <> '' \
                 AND c.kind = ${})",
                n + 1
            ),
            vec![
                Value::from(INACTION.to_string()),
                Value::from(FactKind::MatterClosing as i32),
            ],
        );
    }
    let sql = format!(
        "SELECT f.id, f.body, f.source_id, f.revision, f.voided, f.occurred_us, \
         r.recorded_us, r.payload FROM intake_facts f \
         JOIN intake_revisions r ON r.fact_id = f.id AND r.revision = f.revision \
         {} ORDER BY f.id LIMIT {}",
        w.clause(),
        s.limit.max(1)
    );
    let mut out = Vec::new();
    for row in c.query_all_raw(stmt(c, &sql, w.values)).await? {
        let payload: Vec<u8> = row.try_get("", "payload")?;
        let Ok(fact) = Fact::decode(payload.as_slice()) else {
            continue;
        };
        out.push(OpenMatter {
            id: row.try_get("", "id")?,
            body: row.try_get("", "body")?,
            source_id: row.try_get("", "source_id")?,
            revision: row.try_get("", "revision")?,
            voided: row.try_get("", "voided")?,
            accepted_us: row.try_get("", "occurred_us")?,
            recorded_us: row.try_get("", "recorded_us")?,
            fact,
        });
    }
    Ok(out)
}

/// Whether INACTION_OVERDUE is already on the record of the matter
/// `(body, matter)` or of a closing of it other than `own` (whatever the
/// finding's state): a matter is found overdue once.
pub async fn already_found(
    c: &impl ConnectionTrait,
    body: &str,
    matter: &str,
    own: &str,
) -> AppResult<bool> {
    let sql = "SELECT 1 AS one FROM intake_findings x JOIN intake_facts f ON f.id = x.fact_id \
         WHERE x.rule = $1 AND f.body = $2 \
         AND ((f.source_id = $3 AND f.kind = $4) \
           OR (f.refers_to = $3 AND f.refers_to <> '' AND f.kind = $5 AND f.source_id <> $6)) \
         LIMIT 1";
    let row = c
        .query_one_raw(stmt(
            c,
            sql,
            vec![
                INACTION.into(),
                body.into(),
                matter.into(),
                (FactKind::Matter as i32).into(),
                (FactKind::MatterClosing as i32).into(),
                own.into(),
            ],
        ))
        .await?;
    Ok(row.is_some())
}

/// Records `found` on the matter's current revision, after the findings
/// already there; returns their (revision, seq).
pub async fn record(
    c: &impl ConnectionTrait,
    m: &OpenMatter,
    found: &[Found],
) -> AppResult<Vec<(i32, i32)>> {
    let row = c
        .query_one_raw(stmt(
            c,
            "SELECT COALESCE(MAX(seq), -1) AS top FROM intake_findings \
             WHERE fact_id = $1 AND revision = $2",
            vec![m.id.into(), m.revision.into()],
        ))
        .await?;
    let top: i32 = match row {
        Some(r) => r.try_get("", "top")?,
        None => -1,
    };
    let mut out = Vec::new();
    for (i, f) in found.iter().enumerate() {
        let seq = top + 1 + i as i32;
        c.execute_raw(stmt(
            c,
            "INSERT INTO intake_findings (fact_id, revision, seq, rule, article, officer, detail, \
             body, kind, occurred_us) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            vec![
                m.id.into(),
                m.revision.into(),
                seq.into(),
                f.rule.code.into(),
                f.rule.article.into(),
                f.officer.clone().into(),
                f.detail.clone().into(),
                m.body.clone().into(),
                (FactKind::Matter as i32).into(),
                m.accepted_us.into(),
            ],
        ))
        .await?;
        out.push((m.revision, seq));
    }
    Ok(out)
}

/// The names of the INACTION_OVERDUE findings on these matters.
pub async fn findings_of(
    c: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<std::collections::HashMap<i64, Vec<String>>> {
    let mut out: std::collections::HashMap<i64, Vec<String>> = Default::default();
    for (id, rows) in crate::finding_states::of_facts(c, ids).await? {
        for r in rows {
            if r.try_get::<String>("", "rule")? == INACTION {
                let (rev, seq): (i32, i32) = (r.try_get("", "revision")?, r.try_get("", "seq")?);
                out.entry(id)
                    .or_default()
                    .push(crate::finding_states::finding_name(id, rev, seq));
            }
        }
    }
    Ok(out)
}
