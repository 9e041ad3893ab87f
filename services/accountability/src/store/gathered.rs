//! `accountability_gathered_findings`: the intake findings the findings
//! sweep gathered into a case, each once.
use std::collections::HashSet;

use probity_common::{AppResult, db::stmt};
use sea_orm::ConnectionTrait;

/// Those of `findings` (names) already gathered into a case.
pub async fn among<C: ConnectionTrait>(db: &C, findings: &[&str]) -> AppResult<HashSet<String>> {
    let mut out = HashSet::new();
    for chunk in findings.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT finding FROM accountability_gathered_findings WHERE finding IN ({})",
            marks.join(", ")
        );
        let values = chunk.iter().map(|f| (*f).into()).collect();
        for row in db.query_all_raw(stmt(db, &sql, values)).await? {
            out.insert(row.try_get("", "finding")?);
        }
    }
    Ok(out)
}

/// Records `finding` as gathered into `case_id`.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    finding: &str,
    case_id: &str,
    rule: &str,
    subject: &str,
    now_us: i64,
) -> AppResult<()> {
    db.execute_raw(stmt(
        db,
        "INSERT INTO accountability_gathered_findings \
         (finding, case_id, rule, subject, gathered_us) VALUES ($1, $2, $3, $4, $5)",
        vec![
            finding.into(),
            case_id.into(),
            rule.into(),
            subject.into(),
            now_us.into(),
        ],
    ))
    .await?;
    Ok(())
}
