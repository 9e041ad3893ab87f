//! m0003: records become the service's own rows (`store::rows`, JSON in a
//! `record` TEXT column) instead of the API's messages (protobuf in `doc`),
//! so that a change of the API is not a data migration (issue 15).
//!
//! Every row's `doc` is read with the API's types as they are now (this
//! runs once) and written again as JSON. An event's and a commendation's
//! audit entry holds the SHA-256 of the bytes written then; those bytes
//! stay beside the new record, in `legacy_doc`, so the entries still vouch
//! for the rows (`store::recorded`). A case's and an order's own `doc` is
//! not kept: the same bytes are in their latest event. All in one
//! transaction, on SQLite as on PostgreSQL: the records change together or
//! not at all.
use probity_common::db::stmt;
use prost::Message;
use sea_orm::{ConnectionTrait, Value};
use sea_orm_migration::prelude::*;

use crate::{api::convert, store::rows::to_json};

pub struct M0003OwnRecords;

impl MigrationName for M0003OwnRecords {
    fn name(&self) -> &str {
        "m0003_own_records"
    }
}

/// Rows rewritten per statement batch.
const BATCH: i64 = 500;

#[async_trait::async_trait]
impl MigrationTrait for M0003OwnRecords {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES {
            add_columns(m, t).await?;
        }
        let c = m.get_connection();
        for t in TABLES {
            rewrite(c, t).await?;
            c.execute_unprepared(&format!("ALTER TABLE {} DROP COLUMN doc", t.name))
                .await?;
        }
        Ok(())
    }
}

/// A table whose records m0003 rewrites.
#[derive(Clone, Copy)]
struct Records {
    name: &'static str,
    /// Its primary key, which the rewrite pages by.
    key: &'static [&'static str],
    /// Whether an audit entry hashed its `doc` (kept in `legacy_doc`).
    hashed: bool,
    /// The record its `doc` holds, as JSON; the first key column says
    /// whose it is.
    convert: fn(&str, &[u8]) -> Result<String, String>,
}

const TABLES: [Records; 4] = [
    Records {
        name: "accountability_cases",
        key: &["id"],
        hashed: false,
        convert: |_, doc| Ok(to_json(&convert::case_in(&decode(doc)?))),
    },
    Records {
        name: "accountability_orders",
        key: &["id"],
        hashed: false,
        convert: |_, doc| Ok(to_json(&convert::order_in(&decode(doc)?))),
    },
    Records {
        name: "accountability_commendations",
        key: &["id"],
        hashed: true,
        convert: |_, doc| Ok(to_json(&convert::commendation_in(&decode(doc)?))),
    },
    Records {
        name: "accountability_events",
        key: &["entity", "seq"],
        hashed: true,
        convert: event_record,
    },
];

/// `record` (TEXT, filled below) and, where an audit entry hashed the old
/// bytes, `legacy_doc` to keep them.
async fn add_columns(m: &SchemaManager<'_>, t: Records) -> Result<(), DbErr> {
    let mut columns = vec![
        ColumnDef::new(Alias::new("record"))
            .text()
            .not_null()
            .default("")
            .to_owned(),
    ];
    if t.hashed {
        columns.push(
            ColumnDef::new(Alias::new("legacy_doc"))
                .blob()
                .null()
                .to_owned(),
        );
    }
    // One column per statement: SQLite adds no more at a time.
    for col in columns {
        m.alter_table(
            Table::alter()
                .table(Alias::new(t.name))
                .add_column(col)
                .to_owned(),
        )
        .await?;
    }
    Ok(())
}

fn decode<M: Message + Default>(doc: &[u8]) -> Result<M, String> {
    M::decode(doc).map_err(|e| e.to_string())
}

/// An event's record: the case or the order it holds, by its entity.
fn event_record(entity: &str, doc: &[u8]) -> Result<String, String> {
    if entity.starts_with("cases/") {
        Ok(to_json(&convert::case_in(&decode(doc)?)))
    } else if entity.starts_with("orders/") {
        Ok(to_json(&convert::order_in(&decode(doc)?)))
    } else {
        Err(format!("an event of {entity}, neither a case nor an order"))
    }
}

/// Rewrites every row of `t` in key order, `BATCH` at a time: `record`
/// from `doc`, and `legacy_doc` kept where the table has it. A row that
/// does not convert stops the migration (and undoes it), naming the row.
async fn rewrite<C: ConnectionTrait>(c: &C, t: Records) -> Result<(), DbErr> {
    let key = t.key.join(", ");
    let marks = |from: usize| -> String {
        let m: Vec<String> = (from..from + t.key.len())
            .map(|i| format!("${i}"))
            .collect();
        m.join(", ")
    };
    let select_first = format!(
        "SELECT {key}, doc FROM {} ORDER BY {key} LIMIT {BATCH}",
        t.name
    );
    let select_next = format!(
        "SELECT {key}, doc FROM {} WHERE ({key}) > ({}) ORDER BY {key} LIMIT {BATCH}",
        t.name,
        marks(1)
    );
    let keep = if t.hashed { ", legacy_doc = doc" } else { "" };
    let update = format!(
        "UPDATE {} SET record = $1{keep} WHERE ({key}) = ({})",
        t.name,
        marks(2)
    );
    let mut after: Option<Vec<Value>> = None;
    loop {
        let rows = match &after {
            None => c.query_all_raw(stmt(c, &select_first, vec![])).await?,
            Some(k) => c.query_all_raw(stmt(c, &select_next, k.clone())).await?,
        };
        for row in &rows {
            let owner: String = row.try_get("", t.key[0])?;
            let mut k: Vec<Value> = vec![owner.clone().into()];
            if let Some(second) = t.key.get(1) {
                k.push(row.try_get::<i64>("", second)?.into());
            }
            let doc: Vec<u8> = row.try_get("", "doc")?;
            let record = (t.convert)(&owner, &doc)
                .map_err(|e| DbErr::Migration(format!("{} of {owner}: {e}", t.name)))?;
            let mut values: Vec<Value> = vec![record.into()];
            values.extend(k.iter().cloned());
            c.execute_raw(stmt(c, &update, values)).await?;
            after = Some(k);
        }
        if (rows.len() as i64) < BATCH {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::rows;
    use probity_proto::accountability::v1 as pb;

    #[test]
    fn an_old_case_reads_as_its_record() {
        let old = pb::Case {
            name: "cases/x".into(),
            state: pb::CaseState::Decided as i32,
            title: "t".into(),
            version: 4,
            ..Default::default()
        };
        let json = event_record("cases/x", &old.encode_to_vec()).unwrap();
        let back: rows::CaseRecord = serde_json::from_str(&json).unwrap();
        assert_eq!((back.state, back.version), (rows::CaseState::Decided, 4));
        assert!(event_record("commendations/x", &[]).is_err());
    }
}
