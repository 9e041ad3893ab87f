//! Intake's SQL: bulk inserts (UNNEST arrays on PostgreSQL, multi-row VALUES
//! on SQLite), lookups by source id, and reading facts back as the API shows
//! them. Ids and names are stored bare (`b1`, not `bodies/b1`).
use std::collections::HashMap;

pub mod drawn;
pub mod inspections;
pub mod overdue;

use probity_common::{AppError, AppResult, db::stmt, names::us_ts};
use probity_proto::intake::v1::Fact;
use prost::Message;
use sea_orm::{ConnectionTrait, DatabaseBackend, QueryResult, Value, sea_query::ArrayType};

/// One column of rows to insert.
pub enum Col {
    I64(Vec<i64>),
    I32(Vec<i32>),
    Text(Vec<String>),
    Bytes(Vec<Vec<u8>>),
    Bool(Vec<bool>),
}

impl Col {
    pub(crate) fn len(&self) -> usize {
        match self {
            Col::I64(v) => v.len(),
            Col::I32(v) => v.len(),
            Col::Text(v) => v.len(),
            Col::Bytes(v) => v.len(),
            Col::Bool(v) => v.len(),
        }
    }

    fn pg_type(&self) -> &'static str {
        match self {
            Col::I64(_) => "bigint[]",
            Col::I32(_) => "integer[]",
            Col::Text(_) => "text[]",
            Col::Bytes(_) => "bytea[]",
            Col::Bool(_) => "boolean[]",
        }
    }

    fn value(&self, i: usize) -> Value {
        match self {
            Col::I64(v) => v[i].into(),
            Col::I32(v) => v[i].into(),
            Col::Text(v) => v[i].clone().into(),
            Col::Bytes(v) => v[i].clone().into(),
            Col::Bool(v) => v[i].into(),
        }
    }

    /// The whole column as one PostgreSQL array value.
    pub(crate) fn pg_array(&self) -> Value {
        self.array(0..self.len())
    }

    fn array(&self, range: std::ops::Range<usize>) -> Value {
        let (ty, vals): (ArrayType, Vec<Value>) = match self {
            Col::I64(v) => (
                ArrayType::BigInt,
                v[range].iter().map(|x| (*x).into()).collect(),
            ),
            Col::I32(v) => (
                ArrayType::Int,
                v[range].iter().map(|x| (*x).into()).collect(),
            ),
            Col::Text(v) => (
                ArrayType::String,
                v[range].iter().map(|x| x.clone().into()).collect(),
            ),
            Col::Bytes(v) => (
                ArrayType::Bytes,
                v[range].iter().map(|x| x.clone().into()).collect(),
            ),
            Col::Bool(v) => (
                ArrayType::Bool,
                v[range].iter().map(|x| (*x).into()).collect(),
            ),
        };
        Value::Array(ty, Some(Box::new(vals)))
    }
}

/// Rows per PostgreSQL statement (arrays have no bind limit; this bounds memory).
const PG_ROWS: usize = 20_000;
/// Bind parameters per SQLite statement (its limit is 32,766).
const SQLITE_PARAMS: usize = 30_000;

/// Inserts the rows `cols` describe (every column the same length).
pub async fn insert(c: &impl ConnectionTrait, table: &str, cols: &[(&str, Col)]) -> AppResult<()> {
    let rows = cols.first().map(|(_, c)| c.len()).unwrap_or(0);
    if rows == 0 {
        return Ok(());
    }
    if cols.iter().any(|(_, c)| c.len() != rows) {
        return Err(AppError::internal(format!(
            "{table}: columns of different lengths"
        )));
    }
    let names = cols.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
    match c.get_database_backend() {
        DatabaseBackend::Postgres => {
            let types = cols
                .iter()
                .enumerate()
                .map(|(i, (_, c))| format!("${}::{}", i + 1, c.pg_type()))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!("INSERT INTO {table} ({names}) SELECT * FROM UNNEST({types})");
            let mut start = 0;
            while start < rows {
                let end = (start + PG_ROWS).min(rows);
                let values = cols.iter().map(|(_, c)| c.array(start..end)).collect();
                c.execute_raw(stmt(c, &sql, values)).await?;
                start = end;
            }
        }
        _ => {
            let per = (SQLITE_PARAMS / cols.len()).max(1);
            let mut start = 0;
            while start < rows {
                let end = (start + per).min(rows);
                let mut sql = format!("INSERT INTO {table} ({names}) VALUES ");
                let mut values = Vec::with_capacity((end - start) * cols.len());
                for r in start..end {
                    if r > start {
                        sql.push(',');
                    }
                    sql.push('(');
                    for (j, (_, col)) in cols.iter().enumerate() {
                        if j > 0 {
                            sql.push(',');
                        }
                        values.push(col.value(r));
                        sql.push('?');
                    }
                    sql.push(')');
                }
                c.execute_raw(stmt(c, &sql, values)).await?;
                start = end;
            }
        }
    }
    Ok(())
}

/// Inserts into several tables. On PostgreSQL, one statement (data-modifying
/// CTEs) when every table's rows fit one array each: one round trip instead
/// of one per table.
pub async fn insert_all(c: &impl ConnectionTrait, tables: &[TableRows<'_>]) -> AppResult<()> {
    let rows = |cols: &[(&str, Col)]| cols.first().map(|(_, c)| c.len()).unwrap_or(0);
    let present: Vec<&TableRows<'_>> = tables.iter().filter(|(_, cols)| rows(cols) > 0).collect();
    let combine =
        is_pg(c) && present.len() > 1 && present.iter().all(|(_, cols)| rows(cols) <= PG_ROWS);
    if !combine {
        for (table, cols) in present {
            insert(c, table, cols).await?;
        }
        return Ok(());
    }
    let mut values = Vec::new();
    let mut parts = pg_inserts(&present, &mut values, None)?;
    let last = parts.pop().unwrap_or_default();
    let ctes = parts
        .iter()
        .enumerate()
        .map(|(i, p)| format!("i{i} AS ({p})"))
        .collect::<Vec<_>>()
        .join(", ");
    c.execute_raw(stmt(c, &format!("WITH {ctes} {last}"), values))
        .await?;
    Ok(())
}

/// A table's rows to insert, column by column.
pub type TableRows<'a> = (&'a str, Vec<(&'a str, Col)>);

/// PostgreSQL: one `INSERT ... SELECT * FROM UNNEST(arrays)` per table with
/// rows, binding after `values`; with `guard`, each inserts only if that
/// condition holds.
pub fn pg_inserts(
    tables: &[&TableRows<'_>],
    values: &mut Vec<Value>,
    guard: Option<&str>,
) -> AppResult<Vec<String>> {
    let rows = |cols: &[(&str, Col)]| cols.first().map(|(_, c)| c.len()).unwrap_or(0);
    let mut parts = Vec::new();
    for (table, cols) in tables.iter().filter(|(_, cols)| rows(cols) > 0) {
        if cols.iter().any(|(_, col)| col.len() != rows(cols)) {
            return Err(AppError::internal(format!(
                "{table}: columns of different lengths"
            )));
        }
        let names = cols.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
        let arrays = cols
            .iter()
            .map(|(_, col)| {
                values.push(col.array(0..col.len()));
                format!("${}::{}", values.len(), col.pg_type())
            })
            .collect::<Vec<_>>()
            .join(", ");
        let only_if = guard.map(|g| format!(" WHERE {g}")).unwrap_or_default();
        parts.push(format!(
            "INSERT INTO {table} ({names}) SELECT * FROM UNNEST({arrays}){only_if}"
        ));
    }
    Ok(parts)
}

/// The current revision of a stored fact.
#[derive(Debug, Clone)]
pub struct Current {
    pub id: i64,
    pub body: String,
    pub source_id: String,
    pub kind: i32,
    pub revision: i32,
    pub voided: bool,
    pub occurred_us: i64,
    pub body_path: String,
    /// Source id of the fact of the same body it refers to ("" for none).
    pub refers_to: String,
    /// The stored Fact (body, source_id, kind, payload with output fields).
    pub payload: Vec<u8>,
    pub digest: String,
    /// When revision 1 was recorded: a correction is checked against the
    /// registry as it stood then.
    pub first_recorded_us: i64,
}

macro_rules! current_cols {
    () => {
        "f.id, f.body, f.source_id, f.kind, f.revision, f.voided, f.occurred_us, \
         f.body_path, f.refers_to, r.payload, r.digest, f.recorded_us"
    };
}
const CURRENT_COLS: &str = current_cols!();

/// Ends a LATERAL subquery that looks one key up (PostgreSQL): `OFFSET 0`
/// keeps the planner from flattening it into a join, so each key is an
/// index probe whatever the statistics say. Before autovacuum has analyzed
/// a fast-growing table the planner cannot know `fact_id` or `(body,
/// source_id)` pick a row or two, and it hashed the keys against a
/// sequential scan of a million facts or revisions (0.5 s for 4,000 keys
/// instead of 0.05-0.15 s; docs/deploy.md, "Connection poolers"). That is
/// what `enable_seqscan=off` on every connection used to hide.
pub(crate) const PER_KEY: &str = "OFFSET 0";

/// Intake's PostgreSQL lookups by key, each key an index probe
/// ([`PER_KEY`]); public so a test can read their plans on a table the
/// planner has no statistics for.
pub mod pg_lookups {
    use super::{CURRENT, PER_KEY};

    /// The current revisions of a body's facts: $1 the body, $2 the source ids.
    pub fn by_source() -> String {
        format!(
            "SELECT c.* FROM UNNEST($2::text[]) AS k(source_id) CROSS JOIN LATERAL \
             ({CURRENT} WHERE f.body = $1 AND f.source_id = k.source_id {PER_KEY}) c"
        )
    }

    /// Every revision's digest of these facts: $1 the fact ids.
    pub fn digests() -> String {
        format!(
            "SELECT r.* FROM UNNEST($1::bigint[]) AS k(id) CROSS JOIN LATERAL \
             (SELECT fact_id, digest, reason FROM intake_revisions \
             WHERE fact_id = k.id {PER_KEY}) r"
        )
    }

    /// How many of the facts referred to are still as checked: $1-$4 the
    /// bodies, source ids, kinds and digests (the writer's guard).
    pub fn still_as_checked() -> String {
        format!(
            "SELECT COUNT(*) AS n FROM {}",
            crate::writer::refs_still_as_checked(["$1", "$2", "$3", "$4"])
        )
    }
}
const CURRENT: &str = concat!(
    "SELECT ",
    current_cols!(),
    " FROM intake_facts f JOIN intake_revisions r \
     ON r.fact_id = f.id AND r.revision = f.revision"
);

fn is_pg(c: &impl ConnectionTrait) -> bool {
    c.get_database_backend() == DatabaseBackend::Postgres
}

fn text_array(v: &[&str]) -> Value {
    Value::Array(
        ArrayType::String,
        Some(Box::new(v.iter().map(|s| Value::from(*s)).collect())),
    )
}

fn id_array(v: &[i64]) -> Value {
    Value::Array(
        ArrayType::BigInt,
        Some(Box::new(v.iter().map(|i| Value::from(*i)).collect())),
    )
}

fn current(row: &QueryResult) -> AppResult<Current> {
    Ok(Current {
        id: row.try_get("", "id")?,
        body: row.try_get("", "body")?,
        source_id: row.try_get("", "source_id")?,
        kind: row.try_get("", "kind")?,
        revision: row.try_get("", "revision")?,
        voided: row.try_get("", "voided")?,
        occurred_us: row.try_get("", "occurred_us")?,
        body_path: row.try_get("", "body_path")?,
        refers_to: row.try_get("", "refers_to")?,
        payload: row.try_get("", "payload")?,
        digest: row.try_get("", "digest")?,
        first_recorded_us: row.try_get("", "recorded_us")?,
    })
}

/// Bind parameter `i` (1-based). SQLite gets `?`: sqlx looks `$N` names up
/// one by one, which is quadratic in a statement's parameters.
fn param(c: &impl ConnectionTrait, i: usize) -> String {
    match c.get_database_backend() {
        DatabaseBackend::Sqlite => "?".to_string(),
        _ => format!("${i}"),
    }
}

fn placeholders(c: &impl ConnectionTrait, from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| param(c, i))
        .collect::<Vec<_>>()
        .join(",")
}

/// Current revisions of the facts with these (body id, source id) keys.
pub async fn by_source(
    c: &impl ConnectionTrait,
    keys: &[(String, String)],
) -> AppResult<HashMap<(String, String), Current>> {
    let mut by_body: HashMap<&str, Vec<&str>> = HashMap::new();
    for (b, s) in keys {
        by_body.entry(b.as_str()).or_default().push(s.as_str());
    }
    let mut out = HashMap::new();
    for (body, mut sources) in by_body {
        sources.sort_unstable();
        sources.dedup();
        // PostgreSQL: one index probe per key, by construction (see
        // PER_KEY; an IN list of parameters is evaluated against every fact
        // of the body under a generic plan).
        let chunk_len = if is_pg(c) { sources.len().max(1) } else { 500 };
        for chunk in sources.chunks(chunk_len) {
            let (sql, values) = if is_pg(c) {
                (
                    pg_lookups::by_source(),
                    vec![Value::from(body), text_array(chunk)],
                )
            } else {
                let sql = format!(
                    "{CURRENT} WHERE f.body = ? AND f.source_id IN ({})",
                    placeholders(c, 2, chunk.len())
                );
                let mut values: Vec<Value> = vec![body.into()];
                values.extend(chunk.iter().map(|s| Value::from(*s)));
                (sql, values)
            };
            for row in c.query_all_raw(stmt(c, &sql, values)).await? {
                let cur = current(&row)?;
                out.insert((cur.body.clone(), cur.source_id.clone()), cur);
            }
        }
    }
    Ok(out)
}

/// Current revisions of the facts with these ids.
pub async fn by_id(c: &impl ConnectionTrait, ids: &[i64]) -> AppResult<HashMap<i64, Current>> {
    let mut out = HashMap::new();
    let chunk_len = if is_pg(c) { ids.len().max(1) } else { 500 };
    for chunk in ids.chunks(chunk_len) {
        let (sql, values) = if is_pg(c) {
            (
                format!(
                    "SELECT {CURRENT_COLS} FROM UNNEST($1::bigint[]) AS k(id) \
                     JOIN intake_facts f ON f.id = k.id \
                     JOIN intake_revisions r ON r.fact_id = f.id AND r.revision = f.revision"
                ),
                vec![id_array(chunk)],
            )
        } else {
            (
                format!(
                    "{CURRENT} WHERE f.id IN ({})",
                    placeholders(c, 1, chunk.len())
                ),
                chunk.iter().map(|i| Value::from(*i)).collect(),
            )
        };
        for row in c.query_all_raw(stmt(c, &sql, values)).await? {
            let cur = current(&row)?;
            out.insert(cur.id, cur);
        }
    }
    Ok(out)
}

/// A live fact that refers to another: its id and source id.
#[derive(Debug, Clone)]
pub struct Dependant {
    pub id: i64,
    pub source_id: String,
}

/// The live facts referring to each of these (body id, source id) keys, by
/// key (the partial index on (body, refers_to)).
pub async fn dependants(
    c: &impl ConnectionTrait,
    keys: &[(String, String)],
) -> AppResult<HashMap<(String, String), Vec<Dependant>>> {
    let mut out: HashMap<(String, String), Vec<Dependant>> = HashMap::new();
    for (body, source_id) in keys {
        if source_id.is_empty() {
            continue;
        }
        // `refers_to <> ''` repeats the partial index's predicate: with a
        // parameter for refers_to the planner cannot prove it otherwise.
        let sql = format!(
            "SELECT id, source_id FROM intake_facts WHERE body = {} AND refers_to = {} \
             AND refers_to <> '' AND NOT voided ORDER BY id",
            param(c, 1),
            param(c, 2)
        );
        for row in c
            .query_all_raw(stmt(c, &sql, vec![body.into(), source_id.into()]))
            .await?
        {
            out.entry((body.clone(), source_id.clone()))
                .or_default()
                .push(Dependant {
                    id: row.try_get("", "id")?,
                    source_id: row.try_get("", "source_id")?,
                });
        }
    }
    Ok(out)
}

/// The (payload digest, reason) of every revision of these facts.
pub async fn digests(
    c: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<(String, String)>>> {
    let mut out: HashMap<i64, Vec<(String, String)>> = HashMap::new();
    let chunk_len = if is_pg(c) { ids.len().max(1) } else { 500 };
    for chunk in ids.chunks(chunk_len) {
        let (sql, values) = if is_pg(c) {
            (pg_lookups::digests(), vec![id_array(chunk)])
        } else {
            (
                format!(
                    "SELECT fact_id, digest, reason FROM intake_revisions WHERE fact_id IN ({})",
                    placeholders(c, 1, chunk.len())
                ),
                chunk.iter().map(|i| Value::from(*i)).collect(),
            )
        };
        for row in c.query_all_raw(stmt(c, &sql, values)).await? {
            out.entry(row.try_get("", "fact_id")?)
                .or_default()
                .push((row.try_get("", "digest")?, row.try_get("", "reason")?));
        }
    }
    Ok(out)
}

/// The officers (ids) the current revision of these facts records, by fact;
/// facts naming none are absent.
pub async fn current_officers(
    c: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<String>>> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    let chunk_len = if is_pg(c) { ids.len().max(1) } else { 500 };
    for chunk in ids.chunks(chunk_len) {
        let (sql, values) = if is_pg(c) {
            (
                "SELECT o.fact_id, o.officer FROM UNNEST($1::bigint[]) AS k(id) \
                 JOIN intake_facts f ON f.id = k.id \
                 JOIN intake_fact_officers o ON o.fact_id = f.id AND o.revision = f.revision"
                    .to_string(),
                vec![id_array(chunk)],
            )
        } else {
            (
                format!(
                    "SELECT o.fact_id, o.officer FROM intake_facts f \
                     JOIN intake_fact_officers o ON o.fact_id = f.id AND o.revision = f.revision \
                     WHERE f.id IN ({})",
                    placeholders(c, 1, chunk.len())
                ),
                chunk.iter().map(|i| Value::from(*i)).collect(),
            )
        };
        for row in c.query_all_raw(stmt(c, &sql, values)).await? {
            out.entry(row.try_get("", "fact_id")?)
                .or_default()
                .push(row.try_get("", "officer")?);
        }
    }
    Ok(out)
}

/// The next free fact id (callers hold the chain lock, so it stays free).
pub async fn next_id(c: &impl ConnectionTrait) -> AppResult<i64> {
    let row = c
        .query_one_raw(stmt(
            c,
            "SELECT COALESCE(MAX(id), 0) AS m FROM intake_facts",
            vec![],
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "m"))
        .transpose()?
        .unwrap_or(0)
        + 1)
}

pub fn fact_name(id: i64) -> String {
    format!("facts/{id}")
}

/// The id in a fact's name, `facts/{id}`.
pub fn fact_id(name: &str) -> Option<i64> {
    probity_common::names::parse_top(name, "facts")?
        .parse()
        .ok()
}

/// Reads revisions back as the API shows them: `(fact id, revision)` pairs,
/// each with its findings. Missing pairs are skipped.
pub async fn load(c: &impl ConnectionTrait, wanted: &[(i64, i32)]) -> AppResult<Vec<Fact>> {
    let mut facts: HashMap<(i64, i32), Fact> = HashMap::new();
    let pg = is_pg(c);
    for chunk in wanted.chunks(if pg { wanted.len().max(1) } else { 400 }) {
        // PostgreSQL: the keys as two arrays joined as a table (a long OR
        // list is planned and run per key: the export spent its time there).
        let (from, cond, values) = if pg {
            (
                "UNNEST($1::bigint[], $2::int[]) AS k(fact_id, revision) JOIN ",
                "r.fact_id = k.fact_id AND r.revision = k.revision".to_string(),
                vec![
                    id_array(&chunk.iter().map(|(f, _)| *f).collect::<Vec<_>>()),
                    Value::Array(
                        sea_orm::sea_query::ArrayType::Int,
                        Some(Box::new(
                            chunk.iter().map(|(_, r)| Value::from(*r)).collect(),
                        )),
                    ),
                ],
            )
        } else {
            let cond = chunk
                .iter()
                .enumerate()
                .map(|(i, _)| {
                    format!(
                        "(r.fact_id = {} AND r.revision = {})",
                        param(c, 2 * i + 1),
                        param(c, 2 * i + 2)
                    )
                })
                .collect::<Vec<_>>()
                .join(" OR ");
            let values: Vec<Value> = chunk
                .iter()
                .flat_map(|(f, r)| [Value::from(*f), Value::from(*r)])
                .collect();
            ("", cond, values)
        };
        let on = if pg { "ON" } else { "WHERE" };
        let sql = format!(
            "SELECT r.fact_id, r.revision, r.payload, r.reason, r.voided, r.actor, r.occurred_us, \
             r.recorded_us FROM {from}intake_revisions r {on} {cond}"
        );
        for row in c.query_all_raw(stmt(c, &sql, values)).await? {
            let id: i64 = row.try_get("", "fact_id")?;
            let revision: i32 = row.try_get("", "revision")?;
            let payload: Vec<u8> = row.try_get("", "payload")?;
            let f = Fact::decode(payload.as_slice()).map_err(AppError::internal)?;
            let f = view(
                f,
                Stamp {
                    id,
                    revision,
                    reason: row.try_get("", "reason")?,
                    voided: row.try_get("", "voided")?,
                    actor: row.try_get("", "actor")?,
                    occurred_us: row.try_get("", "occurred_us")?,
                    recorded_us: row.try_get("", "recorded_us")?,
                },
            );
            facts.insert((id, revision), f);
        }
    }
    // Each revision shows the findings on record up to it, with where they
    // stand now: a finding outlives the revisions after it.
    let mut revisions: HashMap<i64, Vec<i32>> = HashMap::new();
    for (id, revision) in facts.keys() {
        revisions.entry(*id).or_default().push(*revision);
    }
    let ids: Vec<i64> = revisions.keys().copied().collect();
    for (id, rows) in crate::finding_states::of_facts(c, &ids).await? {
        let shown_on = revisions.get(&id).map(Vec::as_slice).unwrap_or_default();
        for row in rows {
            let finding = crate::finding_states::view(&row)?;
            for revision in shown_on.iter().filter(|r| **r >= finding.revision) {
                if let Some(f) = facts.get_mut(&(id, *revision)) {
                    let mut finding = finding.clone();
                    finding.source_id = f.source_id.clone();
                    f.findings.push(finding);
                }
            }
        }
    }
    Ok(wanted.iter().filter_map(|k| facts.remove(k)).collect())
}

/// What a stored revision adds to its Fact.
pub struct Stamp {
    pub id: i64,
    pub revision: i32,
    pub reason: String,
    pub voided: bool,
    pub actor: String,
    pub occurred_us: i64,
    pub recorded_us: i64,
}

/// A stored revision as the API shows it (findings are added by the caller).
pub fn view(mut f: Fact, s: Stamp) -> Fact {
    f.name = fact_name(s.id);
    f.revision = s.revision;
    f.reason = s.reason;
    f.voided = s.voided;
    f.recorded_by = s.actor;
    f.occur_time = us_ts(s.occurred_us);
    f.record_time = us_ts(s.recorded_us);
    f
}
