//! Large batches of new facts by COPY, binary format (PostgreSQL). A stream's chunk of a
//! thousand facts is thousands of rows; PostgreSQL takes COPY's rows page by
//! page, which costs it well under what the same rows cost as an
//! INSERT ... SELECT. COPY cannot be guarded like the one-statement path, so
//! the batch goes in a transaction that locks the chain head and finds it
//! where the plan expects, checks the facts referred to, copies the four
//! tables and the audit entries, and moves the head. A (body, source id)
//! already taken fails the COPY: the transaction rolls back and the batch
//! takes the locked path, as from the one-statement path.
use probity_common::{AppError, AppResult, audit::Entry, db::t, store::Store};
// SQL text here is built from table names and parameter numbers only
// (AssertSqlSafe).
use sea_orm::sqlx::{self, Row as _};

use super::refs::{StoredRefs, still_as_checked};
use crate::store::{Col, TableRows};

/// Writes the batch: `true` if it did, `false` if it wrote nothing.
pub(super) async fn write(
    store: &Store,
    from: &(i64, String),
    entries: &[Entry],
    tables: &[TableRows<'static>; 4],
    refs: &StoredRefs,
) -> AppResult<bool> {
    let pool = store.db.get_postgres_connection_pool();
    match attempt(store, pool, from, entries, tables, refs).await {
        Ok(written) => Ok(written),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(AppError::from(sea_orm::DbErr::Exec(
            sea_orm::RuntimeErr::SqlxError(std::sync::Arc::new(e)),
        ))),
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| c == "23505")
}

async fn attempt(
    store: &Store,
    pool: &sqlx::PgPool,
    from: &(i64, String),
    entries: &[Entry],
    tables: &[TableRows<'static>; 4],
    refs: &StoredRefs,
) -> Result<bool, sqlx::Error> {
    let Some(last) = entries.last() else {
        return Ok(false);
    };
    let (head_t, entries_t) = (
        t(store.chain.prefix(), "audit_head"),
        t(store.chain.prefix(), "audit_entries"),
    );
    let mut tx = pool.begin().await?;
    let head = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT seq, hash FROM {head_t} WHERE id = 1 FOR UPDATE"
    )))
    .fetch_one(&mut *tx)
    .await?;
    if (
        head.try_get::<i64, _>("seq")?,
        head.try_get::<String, _>("hash")?,
    ) != *from
    {
        return Ok(false);
    }
    if !refs.body.is_empty() {
        let sql = format!(
            "SELECT COUNT(*) AS n FROM {}",
            still_as_checked(["$1", "$2", "$3", "$4"])
        );
        let n: i64 = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(refs.body.as_slice())
            .bind(refs.source_id.as_slice())
            .bind(refs.kind.as_slice())
            .bind(refs.digest.as_slice())
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        if n != refs.body.len() as i64 {
            return Ok(false);
        }
    }
    for (table, cols) in tables.iter() {
        copy_in(&mut tx, table, cols).await?;
    }
    copy_in(&mut tx, &entries_t, &audit_columns(entries)).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE {head_t} SET seq = $1, hash = $2, mac = $3 WHERE id = 1"
    )))
    .bind(last.seq)
    .bind(&last.hash)
    .bind(store.chain.head_mac(last.seq, &last.hash))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The audit entries' columns, as the chain's entries table has them.
fn audit_columns(entries: &[Entry]) -> [(&'static str, Col); 10] {
    [
        ("seq", Col::I64(entries.iter().map(|e| e.seq).collect())),
        ("at_us", Col::I64(entries.iter().map(|e| e.at_us).collect())),
        ("actor", texts(entries, |e| &e.actor)),
        ("role", texts(entries, |e| &e.role)),
        ("method", texts(entries, |e| &e.method)),
        ("entity", texts(entries, |e| &e.entity)),
        ("change", texts(entries, |e| &e.change)),
        ("digest", texts(entries, |e| &e.digest)),
        ("prev_hash", texts(entries, |e| &e.prev_hash)),
        ("hash", texts(entries, |e| &e.hash)),
    ]
}

fn texts(entries: &[Entry], f: fn(&Entry) -> &String) -> Col {
    Col::Text(entries.iter().map(|e| f(e).clone()).collect())
}

async fn copy_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    table: &str,
    cols: &[(&str, Col)],
) -> Result<(), sqlx::Error> {
    let rows = cols.first().map_or(0, |(_, c)| c.len());
    if rows == 0 {
        return Ok(());
    }
    let names = cols.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
    let mut copy = tx
        .copy_in_raw(&format!(
            "COPY {table} ({names}) FROM STDIN (FORMAT binary)"
        ))
        .await?;
    copy.send(binary_rows(cols, rows)).await?;
    copy.finish().await?;
    Ok(())
}

/// The rows in COPY's binary format: a header, then per row the number of
/// fields and each field as its length and its bytes (integers big-endian,
/// text as UTF-8, bytea as is), then -1.
fn binary_rows(cols: &[(&str, Col)], rows: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows * cols.len() * 16 + 21);
    out.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    out.extend_from_slice(&0i32.to_be_bytes()); // flags
    out.extend_from_slice(&0i32.to_be_bytes()); // header extension
    let field = |out: &mut Vec<u8>, bytes: &[u8]| {
        out.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
        out.extend_from_slice(bytes);
    };
    for r in 0..rows {
        out.extend_from_slice(&(cols.len() as i16).to_be_bytes());
        for (_, col) in cols {
            match col {
                Col::I64(v) => field(&mut out, &v[r].to_be_bytes()),
                Col::I32(v) => field(&mut out, &v[r].to_be_bytes()),
                Col::Bool(v) => field(&mut out, &[u8::from(v[r])]),
                Col::Text(v) => field(&mut out, v[r].as_bytes()),
                Col::Bytes(v) => field(&mut out, &v[r]),
            }
        }
    }
    out.extend_from_slice(&(-1i16).to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_in_copy_binary_format() {
        let cols = [
            ("a", Col::I64(vec![1])),
            ("b", Col::Text(vec!["尚".into()])),
            ("c", Col::Bytes(vec![vec![0, 255]])),
            ("d", Col::Bool(vec![true])),
            ("e", Col::I32(vec![-2])),
        ];
        let mut want: Vec<u8> = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0".to_vec();
        want.extend_from_slice(&[0, 5]);
        want.extend_from_slice(&[0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1]);
        want.extend_from_slice(&[0, 0, 0, 3, 0xe5, 0xb0, 0x9a]);
        want.extend_from_slice(&[0, 0, 0, 2, 0, 255]);
        want.extend_from_slice(&[0, 0, 0, 1, 1]);
        want.extend_from_slice(&[0, 0, 0, 4, 0xff, 0xff, 0xff, 0xfe]);
        want.extend_from_slice(&[0xff, 0xff]);
        assert_eq!(binary_rows(&cols, 1), want);
    }
}
