//! What the audit entries' `record_sha256` cover. The entry of an event and
//! of a commendation holds the SHA-256 of the record as it was written: for
//! rows written since m0003 their `record` text; for rows written before
//! it, the protobuf bytes stored then, which m0003 kept in `legacy_doc`
//! when it rewrote the record as JSON. [`mismatches`] checks every such
//! row against its entry: what `audit verify` shows of the chain, this
//! shows of the rows the chain vouches for.
use probity_common::{AppResult, audit::sha256_hex, db::stmt};
use sea_orm::{ConnectionTrait, QueryResult};

/// The bytes a row's audit entry hashed.
pub fn hashed<'a>(record: &'a str, legacy_doc: Option<&'a [u8]>) -> &'a [u8] {
    legacy_doc.unwrap_or(record.as_bytes())
}

const BATCH: i64 = 1_000;

/// Every event, commendation and issued notice whose bytes do not hash to its audit
/// entry's `record_sha256` (or that has no entry), named; empty when all do.
pub async fn mismatches<C: ConnectionTrait>(db: &C) -> AppResult<Vec<String>> {
    Ok(mismatched(db).await?.into_iter().map(|(_, m)| m).collect())
}

/// [`mismatches`] for `audit verify` ([`probity_common::audit::RecordCheck`]):
/// each with the sequence of the entry that vouches for it (0: none).
pub fn check_records(
    db: &sea_orm::DatabaseTransaction,
) -> futures::future::BoxFuture<'_, AppResult<Vec<(i64, String)>>> {
    Box::pin(mismatched(db))
}

async fn mismatched<C: ConnectionTrait>(db: &C) -> AppResult<Vec<(i64, String)>> {
    let mut out = Vec::new();
    let mut after = 0i64;
    loop {
        let rows = db
            .query_all_raw(stmt(
                db,
                "SELECT e.entity, e.seq, e.audit_seq, e.record, e.legacy_doc, a.change \
                 FROM accountability_events e \
                 LEFT JOIN accountability_audit_entries a ON a.seq = e.audit_seq \
                 WHERE e.audit_seq > $1 ORDER BY e.audit_seq LIMIT $2",
                vec![after.into(), BATCH.into()],
            ))
            .await?;
        for r in &rows {
            after = r.try_get("", "audit_seq")?;
            let entity: String = r.try_get("", "entity")?;
            let seq: i64 = r.try_get("", "seq")?;
            if let Some(problem) = check(r)? {
                out.push((after, format!("event {entity} #{seq}: {problem}")));
            }
        }
        if (rows.len() as i64) < BATCH {
            break;
        }
    }
    for (table, collection, issued) in [
        ("accountability_commendations", "commendations", ""),
        ("accountability_notices", "notices", " AND n.state = 2"),
    ] {
        out.extend(keyed(db, table, collection, issued).await?);
    }
    Ok(out)
}

/// The rows of `table` whose audit entry is the one of `{collection}/{id}`
/// that do not match it.
async fn keyed<C: ConnectionTrait>(
    db: &C,
    table: &str,
    collection: &str,
    and: &str,
) -> AppResult<Vec<(i64, String)>> {
    let mut out = Vec::new();
    let mut after = String::new();
    loop {
        let sql = format!(
            "SELECT n.*, a.change, a.seq AS entry_seq FROM {table} n \
             LEFT JOIN accountability_audit_entries a ON a.entity = '{collection}/' || n.id \
             WHERE n.id > $1{and} ORDER BY n.id LIMIT $2"
        );
        let rows = db
            .query_all_raw(stmt(db, &sql, vec![after.clone().into(), BATCH.into()]))
            .await?;
        for r in &rows {
            after = r.try_get("", "id")?;
            if let Some(problem) = check(r)? {
                let seq = r.try_get::<Option<i64>>("", "entry_seq")?.unwrap_or(0);
                out.push((seq, format!("{collection}/{after}: {problem}")));
            }
        }
        if (rows.len() as i64) < BATCH {
            return Ok(out);
        }
    }
}

/// What is wrong with one row against its entry's `change`, if anything.
fn check(r: &QueryResult) -> AppResult<Option<String>> {
    let record: String = r.try_get("", "record")?;
    // Notices never had one: the column is absent.
    let legacy: Option<Vec<u8>> = r.try_get("", "legacy_doc").ok().flatten();
    let Some(change) = r.try_get::<Option<String>>("", "change")? else {
        return Ok(Some("no audit entry".into()));
    };
    let want = serde_json::from_str::<serde_json::Value>(&change)
        .ok()
        .and_then(|v| v.get("record_sha256")?.as_str().map(str::to_string));
    let got = sha256_hex(hashed(&record, legacy.as_deref()));
    Ok(match want {
        None => Some("its audit entry holds no record_sha256".into()),
        Some(w) if w != got => Some(format!("its bytes hash to {got}, its audit entry says {w}")),
        Some(_) => None,
    })
}
