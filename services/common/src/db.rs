//! Database connections (SQLite embedded, PostgreSQL in production) and the
//! tables every service owns a copy of: its audit chain and its idempotency
//! records, named with the service's prefix so services may share a database.
use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, LazyLock, Mutex, Weak},
    time::Duration,
};

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, Statement,
};
use sea_orm_migration::prelude::*;

use crate::config::Settings;

/// Connections of `db`'s pool in use and idle, for the pool gauges.
pub fn pool_counts(db: &DatabaseConnection) -> (u64, u64) {
    let (size, idle) = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            (p.size(), p.num_idle())
        }
        DatabaseBackend::Sqlite => {
            let p = db.get_sqlite_connection_pool();
            (p.size(), p.num_idle())
        }
        _ => (0, 0),
    };
    let idle = idle as u64;
    (u64::from(size).saturating_sub(idle), idle)
}

/// Applies `M`'s pending migrations. On PostgreSQL they run in one
/// transaction that first takes a transaction-scoped advisory lock named
/// for the service's history table, so replicas (or a hook and a pod)
/// starting together apply them once: the others wait, then find nothing
/// pending. The lock lives and dies with the transaction, on the one server
/// connection a transaction keeps, so it holds through a pooler in
/// transaction mode too, and cannot be left behind on a pooled connection
/// (a session lock taken through PgBouncer could be, and its unlock go to
/// another connection). A failed migration leaves nothing half applied.
/// SQLite serializes writers itself.
pub async fn migrate<M: MigratorTrait>(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return M::up(db, None).await;
    }
    let name = M::migration_table_name().to_string();
    let txn = sea_orm::TransactionTrait::begin(db).await?;
    txn.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT pg_advisory_xact_lock(hashtext($1))",
        vec![name.into()],
    ))
    .await?;
    M::up(&txn, None).await?;
    txn.commit().await
}

/// Opens a pool on `url`; SQLite files get WAL, a busy timeout and foreign
/// keys. PostgreSQL connections carry no session settings beyond those
/// PgBouncer tracks (no startup `options`, no `extra_float_digits`): it
/// refuses others, or drops them when told to ignore them (docs/deploy.md,
/// "Connection poolers").
pub async fn connect(url: &str, settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    if let Some(path) = sqlite_path(url)
        && let Some(dir) = std::path::Path::new(&path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.display()))?;
    }
    let busy = Duration::from_millis(settings.database.sqlite_busy_timeout_ms);
    // Negative: a size in KiB rather than in pages.
    let cache_kib = format!(
        "-{}",
        Ord::max(settings.database.sqlite_cache_mib, 1) * 1024
    );
    let mut opts = ConnectOptions::new(url.to_string());
    opts.max_connections(settings.database.max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(5))
        // A ping on every checkout is a round trip per statement outside a
        // transaction; a connection that sat idle (and may have been cut)
        // is still pinged, and a broken one fails its statement with
        // UNAVAILABLE, which the caller retries.
        .test_before_acquire_if_idle_for(Duration::from_secs(5))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                // FULL: an acknowledged write survives a power loss too, not
                // only a crash of the process (NORMAL in WAL mode does not).
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Full)
                .busy_timeout(busy)
                .pragma("cache_size", cache_kib.clone())
                .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)
                // The WAL file is kept at most this size once checkpointed
                // (it is reused, not shrunk, otherwise).
                .pragma("journal_size_limit", WAL_KEPT_BYTES)
                .foreign_keys(true)
        })
        // sqlx sends extra_float_digits=2 at start-up by default, which
        // PgBouncer refuses unless told to ignore it; PostgreSQL 12 and later
        // print floats exactly by default, and results come in binary anyway.
        .map_sqlx_postgres_opts(|o| o.extra_float_digits(None));
    let db = Database::connect(opts)
        .await
        .map_err(|e| anyhow::anyhow!("connecting to {}: {e}", redact(url)))?;
    if let Some(path) = sqlite_path(url)
        && settings.database.max_connections >= 2
        && !read_only(url)
    {
        checkpoint_in_background(db.clone(), &path);
    }
    Ok(db)
}

/// WAL pages a committing connection lets pile up before it copies them
/// into the database itself (64 MiB of 4 KiB pages): a backstop, since the
/// task below copies them long before.
const WAL_AUTOCHECKPOINT_PAGES: &str = "16384";
const WAL_KEPT_BYTES: &str = "67108864";
/// How often the task below copies the WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// SQLite's own checkpoint (at 1,000 WAL pages by default) runs inside the
/// commit that crosses the line: the one writer reads its frames back and
/// writes and syncs the database file before it can take the next batch.
/// A task of its own does that on another connection of the pool instead,
/// PASSIVE (it neither waits for nor blocks the writer or readers), so the
/// writer only appends to the WAL.
///
/// One task per file, whatever the number of pools on it (`probity
/// migrate` and tests open and close pools on a file; services may share
/// one): it checkpoints through the pool registered for the file, a newer
/// pool takes the place of a closed one, and the task ends when the pool it
/// holds is closed and none replaced it, or the file turns out read-only.
/// The registry holds the task's slot weakly, so a task dropped with its
/// runtime lets go of its pool and of the file. With a single connection
/// it would hold the pool's only one, so it is not started (nor on a
/// read-only database): SQLite's own line applies.
/// Returns whether `db` is now the pool the file is checkpointed through.
fn checkpoint_in_background(db: DatabaseConnection, path: &str) -> bool {
    let file = std::fs::canonicalize(path).unwrap_or_else(|_| path.into());
    let slot = {
        let mut files = checkpointed();
        if let Some(slot) = files.get(&file).and_then(Weak::upgrade) {
            let mut held = slot.db();
            if !closed(&held) {
                return false;
            }
            *held = db;
            return true;
        }
        let slot = Arc::new(Slot(Mutex::new(db)));
        files.insert(file.clone(), Arc::downgrade(&slot));
        slot
    };
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let db = slot.db().clone();
            match db
                .execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
                .await
            {
                Ok(_) => {}
                Err(sea_orm::DbErr::ConnectionAcquire(
                    sea_orm::error::ConnAcquireErr::ConnectionClosed,
                )) => {
                    // Under the registry's lock: a pool handed over since
                    // is either seen here or finds no task and starts one.
                    let mut files = checkpointed();
                    if closed(&slot.db()) {
                        files.remove(&file);
                        return;
                    }
                }
                // SQLITE_READONLY (8) and its extended codes
                Err(e)
                    if crate::error::sql_state(&e)
                        .and_then(|c| c.parse::<i32>().ok())
                        .is_some_and(|c| c & 0xff == 8) =>
                {
                    tracing::debug!(file = %file.display(), "read-only: no background checkpoint");
                    checkpointed().remove(&file);
                    return;
                }
                Err(e) => tracing::debug!(error = %e, "background checkpoint"),
            }
        }
    });
    true
}

/// The pool a file's checkpointer goes through; owned by the task.
struct Slot(Mutex<DatabaseConnection>);

impl Slot {
    fn db(&self) -> std::sync::MutexGuard<'_, DatabaseConnection> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn closed(db: &DatabaseConnection) -> bool {
    db.get_sqlite_connection_pool().is_closed()
}

type Checkpointed = HashMap<PathBuf, Weak<Slot>>;

fn checkpointed() -> std::sync::MutexGuard<'static, Checkpointed> {
    static FILES: LazyLock<Mutex<Checkpointed>> = LazyLock::new(Default::default);
    // A panic while the map was held cannot leave it half-changed.
    FILES.lock().unwrap_or_else(|e| e.into_inner())
}

/// SQLite opened read-only by its URL (`mode=ro`, `immutable=1`).
fn read_only(url: &str) -> bool {
    url.split_once('?').is_some_and(|(_, q)| {
        q.split('&')
            .any(|kv| kv == "mode=ro" || kv == "immutable=1" || kv == "immutable=true")
    })
}

fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && path != ":memory:").then(|| path.to_string())
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Whether the database answers (health checks).
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

/// The audit chain and idempotency tables of one service, as a migration the
/// service puts first in its migrator.
pub struct SharedTables {
    pub prefix: &'static str,
    name: String,
}

impl SharedTables {
    pub fn new(prefix: &'static str) -> Self {
        SharedTables {
            prefix,
            name: format!("m0000_{prefix}_audit_and_idempotency"),
        }
    }
}

impl MigrationName for SharedTables {
    fn name(&self) -> &str {
        &self.name
    }
}

pub fn t(prefix: &str, table: &str) -> String {
    format!("{prefix}_{table}")
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for SharedTables {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let p = self.prefix;
        let entries = t(p, "audit_entries");
        m.create_table(
            Table::create()
                .table(Alias::new(&entries))
                .col(ColumnDef::new("seq").big_integer().not_null().primary_key())
                .col(ColumnDef::new("at_us").big_integer().not_null())
                .col(ColumnDef::new("actor").string().not_null())
                .col(ColumnDef::new("role").string().not_null())
                .col(ColumnDef::new("method").string().not_null())
                .col(ColumnDef::new("entity").string().not_null())
                .col(ColumnDef::new("change").text().not_null())
                .col(ColumnDef::new("digest").string().not_null())
                .col(ColumnDef::new("prev_hash").string().not_null())
                .col(ColumnDef::new("hash").string().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name(format!("{entries}_entity"))
                .table(Alias::new(&entries))
                .col("entity")
                .col("seq")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Alias::new(t(p, "audit_head")))
                .col(ColumnDef::new("id").integer().not_null().primary_key())
                .col(ColumnDef::new("seq").big_integer().not_null())
                .col(ColumnDef::new("hash").string().not_null())
                .col(ColumnDef::new("mac").string().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Alias::new(t(p, "idempotency")))
                .col(
                    ColumnDef::new("request_id")
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new("method").string().not_null())
                .col(ColumnDef::new("request_digest").string().not_null())
                .col(ColumnDef::new("response").binary().not_null())
                .col(ColumnDef::new("at_us").big_integer().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Alias::new(t(p, "key_checks")))
                .col(ColumnDef::new("purpose").string().not_null().primary_key())
                .col(ColumnDef::new("check_value").string().not_null())
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        let head = t(p, "audit_head");
        db.execute_unprepared(&format!(
            "INSERT INTO {head} (id, seq, hash, mac) VALUES (1, 0, '{}', '')",
            crate::audit::GENESIS
        ))
        .await?;
        // The application only ever appends; these triggers make an accidental
        // UPDATE or DELETE fail loudly instead of breaking the chain silently.
        match db.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE FUNCTION {entries}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN RAISE EXCEPTION 'audit entries are append-only'; END $$;"
                ))
                .await?;
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER {entries}_append_only BEFORE UPDATE OR DELETE ON {entries} \
                     FOR EACH ROW EXECUTE FUNCTION {entries}_append_only();"
                ))
                .await?;
            }
            _ => {
                for op in ["UPDATE", "DELETE"] {
                    db.execute_unprepared(&format!(
                        "CREATE TRIGGER {entries}_no_{op} BEFORE {op} ON {entries} \
                         BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;"
                    ))
                    .await?;
                }
            }
        }
        Ok(())
    }
}

/// Guards on the chain against a reset by someone with the runtime role's
/// rights: on PostgreSQL no TRUNCATE of the entries, the head or the key
/// checks (row triggers do not fire on TRUNCATE); on both backends the head
/// row is never deleted and never moves back. A service appends it to the
/// end of its migrator. An owner can still drop these; `verify` (head
/// behind its data) and checkpoints catch what follows.
pub struct SharedAuditGuards {
    pub prefix: &'static str,
    name: String,
}

impl SharedAuditGuards {
    pub fn new(prefix: &'static str) -> Self {
        SharedAuditGuards {
            prefix,
            name: format!("m0000b_{prefix}_audit_guards"),
        }
    }
}

impl MigrationName for SharedAuditGuards {
    fn name(&self) -> &str {
        &self.name
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for SharedAuditGuards {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let p = self.prefix;
        let head = t(p, "audit_head");
        let db = m.get_connection();
        let statements = match db.get_database_backend() {
            DatabaseBackend::Postgres => {
                let mut s = vec![
                    format!(
                        "CREATE FUNCTION {p}_audit_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ \
                         BEGIN RAISE EXCEPTION 'the audit chain cannot be truncated (%)', TG_TABLE_NAME; END $$"
                    ),
                    format!(
                        "CREATE FUNCTION {head}_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
                         BEGIN \
                         IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'the audit head cannot be deleted'; END IF; \
                         IF NEW.id <> OLD.id OR NEW.seq < OLD.seq THEN \
                         RAISE EXCEPTION 'the audit head only moves forward'; END IF; \
                         RETURN NEW; END $$"
                    ),
                    format!(
                        "CREATE TRIGGER {head}_forward_only BEFORE UPDATE OR DELETE ON {head} \
                         FOR EACH ROW EXECUTE FUNCTION {head}_forward_only()"
                    ),
                ];
                for table in ["audit_entries", "audit_head", "key_checks"] {
                    let table = t(p, table);
                    s.push(format!(
                        "CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} \
                         FOR EACH STATEMENT EXECUTE FUNCTION {p}_audit_no_truncate()"
                    ));
                }
                s
            }
            // No TRUNCATE in SQLite: a DELETE without WHERE fires row triggers.
            _ => vec![
                format!(
                    "CREATE TRIGGER {head}_no_delete BEFORE DELETE ON {head} \
                     BEGIN SELECT RAISE(ABORT, 'the audit head cannot be deleted'); END"
                ),
                format!(
                    "CREATE TRIGGER {head}_forward_only BEFORE UPDATE ON {head} \
                     WHEN NEW.id <> OLD.id OR NEW.seq < OLD.seq \
                     BEGIN SELECT RAISE(ABORT, 'the audit head only moves forward'); END"
                ),
            ],
        };
        for sql in statements {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }
}

/// Builds a statement for the connection's backend; `$1`-style placeholders
/// work on both SQLite and PostgreSQL.
pub fn stmt<C: ConnectionTrait>(c: &C, sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    Statement::from_sql_and_values(c.get_database_backend(), sql, values)
}

/// A WHERE clause built condition by condition, numbering `$N` in the
/// order the conditions are added (what SQLite binds by, too).
#[derive(Default)]
pub struct Filter {
    conds: Vec<String>,
    pub values: Vec<sea_orm::Value>,
}

impl Filter {
    /// Adds `sql`, whose one `$?` becomes the next parameter.
    pub fn and(&mut self, sql: &str, value: impl Into<sea_orm::Value>) -> &mut Self {
        self.values.push(value.into());
        self.conds
            .push(sql.replace("$?", &format!("${}", self.values.len())));
        self
    }

    /// Adds a condition numbered from [`Filter::next`] with its values.
    pub fn and_numbered(&mut self, sql: String, values: Vec<sea_orm::Value>) -> &mut Self {
        self.conds.push(sql);
        self.values.extend(values);
        self
    }

    /// The number the next parameter gets.
    pub fn next(&self) -> usize {
        self.values.len() + 1
    }

    /// `WHERE a AND b`, or nothing.
    pub fn clause(&self) -> String {
        if self.conds.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.conds.join(" AND "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes about 2 MiB, far below the writer's own checkpoint line, and
    /// waits until a background checkpoint has copied it into `file`.
    async fn copied_in_background(db: &DatabaseConnection, file: &std::path::Path) {
        let before = std::fs::metadata(file).unwrap().len();
        db.execute_unprepared(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 512) \
             INSERT INTO t SELECT randomblob(4096) FROM n",
        )
        .await
        .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::fs::metadata(file).unwrap().len() < before + (2 << 20) {
            assert!(
                std::time::Instant::now() < deadline,
                "the WAL was not copied into {} ({} bytes)",
                file.display(),
                std::fs::metadata(file).unwrap().len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    #[tokio::test]
    async fn sqlite_checkpoints_in_the_background() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.db");
        let url = format!("sqlite://{}?mode=rwc", file.display());
        let settings = Settings::load_from(None, std::iter::empty(), &Default::default()).unwrap();
        let db = connect(&url, &settings).await.unwrap();
        db.execute_unprepared("CREATE TABLE t (x BLOB)")
            .await
            .unwrap();
        copied_in_background(&db, &file).await;
        // A second pool on the same file, under another spelling of its
        // path, leaves the checkpointing to the first one's task.
        let again = format!("sqlite:{}/./t.db?mode=rwc", dir.path().display());
        let mut two = settings.clone();
        two.database.max_connections = 2;
        let db2 = connect(&again, &two).await.unwrap();
        assert!(!checkpoint_in_background(
            db2.clone(),
            &sqlite_path(&again).unwrap()
        ));
        // Once its pool is closed the next pool takes its place at once (as
        // `probity serve` does after migrating), and the task goes on
        // through it.
        db.close().await.unwrap();
        assert!(checkpoint_in_background(
            db2.clone(),
            &sqlite_path(&again).unwrap()
        ));
        copied_in_background(&db2, &file).await;
        // Its pool closed too, and none in its place: the task lets go.
        db2.close().await.unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while checkpointed().contains_key(&std::fs::canonicalize(&file).unwrap()) {
            assert!(
                std::time::Instant::now() < deadline,
                "the task still holds {}",
                file.display()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    #[test]
    fn a_task_gone_with_its_runtime_lets_the_file_go() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.db");
        let url = format!("sqlite://{}?mode=rwc", file.display());
        let settings = Settings::load_from(None, std::iter::empty(), &Default::default()).unwrap();
        let runtime = || {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap()
        };
        runtime().block_on(async {
            let db = connect(&url, &settings).await.unwrap();
            db.execute_unprepared("CREATE TABLE t (x BLOB)")
                .await
                .unwrap();
        });
        // That runtime is gone, and its task and pool with it (as at the end
        // of a test): nothing holds the file.
        let canonical = std::fs::canonicalize(&file).unwrap();
        assert!(
            checkpointed()
                .get(&canonical)
                .and_then(Weak::upgrade)
                .is_none()
        );
        runtime().block_on(async {
            let db = connect(&url, &settings).await.unwrap();
            copied_in_background(&db, &file).await;
        });
    }

    #[test]
    fn read_only_urls_are_told() {
        assert!(read_only("sqlite:data/x.db?mode=ro"));
        assert!(read_only("sqlite://x.db?cache=shared&immutable=1"));
        assert!(!read_only("sqlite://x.db?mode=rwc"));
        assert!(!read_only("sqlite://x.db"));
    }
}
