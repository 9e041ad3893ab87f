//! One mapping from domain errors to `tonic::Status` with google.rpc details.
//!
//! Client mistakes carry a [`Reason`] from the catalogue (ErrorInfo, with the
//! gRPC code the catalogue gives it) or a BadRequest that names every bad
//! field; only genuine server faults become INTERNAL. The database's own text
//! is logged, never sent.
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::reasons::Reason;

/// The error domain put in every ErrorInfo.
pub const DOMAIN: &str = "probity.gov";

#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    #[error("invalid argument: {}", .0.iter().map(|v| format!("{}: {}", v.field, v.description)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldViolation>),
    #[error("{resource} not found")]
    NotFound { resource: String },
    /// A refusal the client can act on; its gRPC code is the reason's.
    #[error("{message}")]
    Refused { reason: Reason, message: String },
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn not_found(resource: impl Into<String>) -> Self {
        Self::NotFound {
            resource: resource.into(),
        }
    }
    /// Refuses the request for `reason`; `message` says more about this
    /// case, in words for people (never the database's own text).
    pub fn refused(reason: Reason, message: impl Into<String>) -> Self {
        Self::Refused {
            reason,
            message: message.into(),
        }
    }
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldViolation {
            field: field.into(),
            description: description.into(),
        }])
    }
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }
}

fn info(reason: Reason, message: String) -> Status {
    let mut details = ErrorDetails::new();
    details.set_error_info(reason.code(), DOMAIN, std::collections::HashMap::new());
    Status::with_error_details(reason.grpc(), message, details)
}

impl From<AppError> for Status {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid(violations) => {
                let mut details = ErrorDetails::new();
                for v in &violations {
                    details.add_bad_request_violation(v.field.clone(), v.description.clone());
                }
                let msg = format!(
                    "invalid argument: {}",
                    violations
                        .iter()
                        .map(|v| v.field.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                Status::with_error_details(Code::InvalidArgument, msg, details)
            }
            AppError::NotFound { resource } => {
                info(Reason::NotFound, format!("{resource} not found"))
            }
            AppError::Refused { reason, message } => info(reason, message),
            AppError::Unauthenticated(m) => Status::unauthenticated(m),
            AppError::Unavailable(m) => Status::unavailable(m),
            AppError::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                Status::internal("internal error")
            }
        }
    }
}

/// What a client reads when the database cannot serve: the driver's own
/// text (hosts, tables, constraints, values) goes to the log only.
pub const DATABASE_UNAVAILABLE: &str =
    "the database is unavailable: send the request again shortly";

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        use sea_orm::{DbErr, RuntimeErr, SqlErr};
        if let Some(SqlErr::UniqueConstraintViolation(m)) = e.sql_err() {
            tracing::info!(error = %m, "a duplicate key refused as ALREADY_EXISTS");
            return AppError::refused(
                Reason::AlreadyExists,
                "a record with the same key already exists",
            );
        }
        // A NUL in a text field that no validation caught (PostgreSQL 22021).
        if sql_state(&e).as_deref() == Some("22021") {
            return AppError::invalid("(text)", "text must be UTF-8 without the NUL character");
        }
        let outage = match &e {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
            DbErr::Exec(RuntimeErr::SqlxError(se)) | DbErr::Query(RuntimeErr::SqlxError(se)) => {
                is_connection_error(se.as_ref())
            }
            _ => false,
        };
        if outage {
            tracing::warn!(error = %e, "database unavailable");
            return AppError::Unavailable(DATABASE_UNAVAILABLE.into());
        }
        AppError::Internal(e.to_string())
    }
}

/// The database's own code for a failed statement (SQLSTATE on PostgreSQL,
/// the extended result code on SQLite).
pub fn sql_state(e: &sea_orm::DbErr) -> Option<String> {
    use sea_orm::{DbErr, RuntimeErr, sqlx::Error as Sqlx};
    match e {
        DbErr::Exec(RuntimeErr::SqlxError(se)) | DbErr::Query(RuntimeErr::SqlxError(se)) => {
            match se.as_ref() {
                Sqlx::Database(db) => db.code().map(|c| c.into_owned()),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whether the database, not the request, failed: the caller may retry
/// (UNAVAILABLE). Decided by error type and code only, so a client's mistake
/// that a message happens to describe with the word "connection" stays its own.
fn is_connection_error(e: &(dyn std::error::Error + 'static)) -> bool {
    use sea_orm::sqlx::Error as Sqlx;
    let Some(se) = e.downcast_ref::<Sqlx>() else {
        return false;
    };
    match se {
        Sqlx::Io(_)
        | Sqlx::Tls(_)
        | Sqlx::PoolTimedOut
        | Sqlx::PoolClosed
        | Sqlx::WorkerCrashed => true,
        Sqlx::Database(db) => {
            let postgres = db
                .try_downcast_ref::<sea_orm::sqlx::postgres::PgDatabaseError>()
                .is_some();
            db.code().is_some_and(|c| transient_code(postgres, &c))
        }
        _ => false,
    }
}

/// SQLSTATE classes (PostgreSQL) and result codes (SQLite) of a database
/// that cannot serve now but may in a moment.
fn transient_code(postgres: bool, code: &str) -> bool {
    if postgres {
        // connection exceptions (08), insufficient resources (53: too many
        // connections, disk full), operator intervention (57: shutdown,
        // terminated backends, cannot connect now)
        return ["08", "53", "57"]
            .iter()
            .any(|class| code.starts_with(class));
    }
    // SQLite's extended result codes: SQLITE_BUSY (5) and SQLITE_LOCKED (6)
    // in all their forms, once busy_timeout has run out.
    code.parse::<i32>().is_ok_and(|c| matches!(c & 0xff, 5 | 6))
}

/// Collects every bad field of a request, then fails once with all of them.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

/// Violations kept per request: enough to fix a request, few enough that a
/// hostile one cannot make the error (or the work to build it) huge.
pub const MAX_VIOLATIONS: usize = 100;

/// The longest free text (a reason, a duty, a note) any field takes unless
/// it names a tighter limit (a post's responsibilities, the longest text
/// by design, take all of it): what goes into the audit chain and public
/// answers stays bounded well below the request size limit.
pub const MAX_TEXT: usize = 20_000;

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        if self.0.len() < MAX_VIOLATIONS {
            self.0.push(FieldViolation {
                field: field.into(),
                description: description.into(),
            });
        }
    }
    /// Records `description` against `field` unless `ok`.
    pub fn check(&mut self, ok: bool, field: impl Into<String>, description: impl Into<String>) {
        if !ok {
            self.add(field, description);
        }
    }
    /// Required text: not blank, at most [`MAX_TEXT`] characters, no NUL.
    pub fn non_empty(&mut self, value: &str, field: &str) {
        if value.trim().is_empty() {
            self.add(field, "must not be empty");
        } else {
            self.max_len(value, MAX_TEXT, field);
        }
    }
    /// A repeated field of at most `max` items; false (and recorded) when
    /// longer, so the caller skips checking the items one by one.
    pub fn max_items(&mut self, len: usize, max: usize, field: &str) -> bool {
        self.check(len <= max, field, format!("must have at most {max} items"));
        len <= max
    }
    /// At most `max` characters and no NUL; a field already found bad
    /// (blank, or too long for [`MAX_TEXT`]) is not reported twice.
    pub fn max_len(&mut self, value: &str, max: usize, field: &str) {
        if self.has(field) {
            return;
        }
        self.check(
            value.chars().count() <= max,
            field,
            format!("must be at most {max} characters"),
        );
        self.no_nul(value, field);
    }
    /// PostgreSQL text cannot hold U+0000; SQLite can: refuse it on both.
    fn no_nul(&mut self, value: &str, field: &str) {
        if value.contains('\0') && !self.has(field) {
            self.add(field, "must not contain the NUL character");
        }
    }
    fn has(&self, field: &str) -> bool {
        self.0.iter().any(|v| v.field == field)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The error for what was recorded (callers have recorded at least one).
    pub fn into_error(self) -> AppError {
        AppError::Invalid(self.0)
    }
    pub fn finish(self) -> AppResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.0))
        }
    }
}

/// Runs `work`, turning a panic inside it into an internal error: a task
/// that serves many callers (a writer, a dispatcher) answers the callers of
/// the batch that hit the bug and goes on serving the others.
pub async fn unless_panics<T>(
    work: impl std::future::Future<Output = AppResult<T>>,
) -> AppResult<T> {
    use futures::FutureExt;
    match std::panic::AssertUnwindSafe(work).catch_unwind().await {
        Ok(r) => r,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(AppError::internal(format!("panicked: {what}")))
        }
    }
}

#[cfg(test)]
mod panic_tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_an_internal_error_and_work_goes_on() {
        let hit = unless_panics(async {
            if std::hint::black_box(true) {
                panic!("bug in batch 7");
            }
            Ok(1)
        })
        .await;
        match hit {
            Err(AppError::Internal(m)) => assert!(m.contains("bug in batch 7"), "{m}"),
            other => panic!("expected an internal error, got {other:?}"),
        }
        assert_eq!(unless_panics(async { Ok(2) }).await.unwrap(), 2);
    }
}

#[cfg(test)]
mod database_error_tests {
    use super::*;
    use sea_orm::{DbErr, RuntimeErr, sqlx::Error as Sqlx};
    use std::sync::Arc;

    fn exec(e: Sqlx) -> AppError {
        DbErr::Exec(RuntimeErr::SqlxError(Arc::new(e))).into()
    }

    #[test]
    fn outages_are_unavailable_by_type_and_code() {
        for code in ["08006", "57P01", "57P03", "53300"] {
            assert!(transient_code(true, code), "{code}");
        }
        for code in ["5", "517", "6", "262"] {
            assert!(transient_code(false, code), "{code}");
        }
        // unique violation, bad text (22021 would read as SQLITE_BUSY if
        // taken for a number), a database refusing connections by setting
        // (reported on connect, as DbErr::Conn)
        for code in ["23505", "22021", "55000"] {
            assert!(!transient_code(true, code), "{code}");
        }
        // SQLite's generic error, constraint, primary key and unique codes
        for code in ["1", "19", "1555", "2067"] {
            assert!(!transient_code(false, code), "{code}");
        }
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        assert!(matches!(exec(Sqlx::Io(io)), AppError::Unavailable(_)));
        assert!(matches!(exec(Sqlx::PoolTimedOut), AppError::Unavailable(_)));
    }

    #[test]
    fn a_message_mentioning_a_connection_is_not_an_outage() {
        // Before: any message with "connection" in it was UNAVAILABLE, so a
        // failure caused by the request would have been retried for ever.
        let e = exec(Sqlx::Protocol(
            "too many bind parameters on this connection".into(),
        ));
        assert!(matches!(e, AppError::Internal(_)), "{e:?}");
        let e = exec(Sqlx::Configuration("connection string has no host".into()));
        assert!(matches!(e, AppError::Internal(_)), "{e:?}");
    }
}

#[cfg(test)]
mod database_text_tests {
    use super::*;
    use sea_orm::{
        ConnectionTrait, Database, DbErr, RuntimeErr, TransactionTrait, sqlx::Error as Sqlx,
    };
    use std::sync::Arc;

    /// What a client sees of `e`, message and details (bytes as text).
    fn seen(e: AppError) -> (Status, String) {
        let s: Status = e.into();
        let shown = format!("{} {}", s.message(), String::from_utf8_lossy(s.details()));
        (s, shown)
    }

    #[track_caller]
    fn no_database_text(shown: &str) {
        for word in [
            "secret_officers",
            "national_id",
            "110101199003077777",
            "UNIQUE",
            "unique",
            "constraint",
            "duplicate",
            "db.internal",
            "pool",
            "sqlx",
            "SQL",
        ] {
            assert!(
                !shown.contains(word),
                "{word:?} shown to the client: {shown}"
            );
        }
    }

    async fn duplicate_of(url: &str, table: &str) -> DbErr {
        // One transaction: one connection, which sees its temporary table.
        let db = Database::connect(url).await.expect("connect");
        let db = db.begin().await.expect("begin");
        db.execute_unprepared(&format!(
            "CREATE TEMPORARY TABLE {table} (national_id TEXT PRIMARY KEY)"
        ))
        .await
        .expect("create");
        let insert = format!("INSERT INTO {table} VALUES ('110101199003077777')");
        db.execute_unprepared(&insert).await.expect("first");
        db.execute_unprepared(&insert)
            .await
            .expect_err("a duplicate")
    }

    #[tokio::test]
    async fn a_duplicate_key_is_already_exists_without_the_database_text() {
        let mut urls = vec!["sqlite::memory:".to_string()];
        urls.extend(std::env::var("PROBITY_TEST_DATABASE_URL").ok());
        for url in urls {
            let e = duplicate_of(&url, "secret_officers").await;
            assert!(e.to_string().contains("secret_officers"), "{url}: {e}");
            let (s, shown) = seen(e.into());
            assert_eq!(s.code(), Code::AlreadyExists, "{url}: {s:?}");
            assert_eq!(
                s.get_details_error_info().map(|i| i.reason).as_deref(),
                Some("ALREADY_EXISTS")
            );
            no_database_text(&shown);
        }
    }

    #[tokio::test]
    async fn an_unavailable_database_is_unavailable_without_its_text() {
        // A pool closed under a request (a shutdown), for real.
        let db = Database::connect("sqlite::memory:").await.expect("connect");
        db.clone().close().await.expect("close");
        let e = db
            .execute_unprepared("SELECT * FROM secret_officers")
            .await
            .expect_err("closed");
        let (s, shown) = seen(e.into());
        assert_eq!(s.code(), Code::Unavailable, "{s:?}");
        assert_eq!(s.message(), DATABASE_UNAVAILABLE);
        no_database_text(&shown);
        // A connection lost, with the driver's words about where.
        let io = std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "reset by db.internal:5432 (secret_officers)",
        );
        let e = DbErr::Query(RuntimeErr::SqlxError(Arc::new(Sqlx::Io(io))));
        let (s, shown) = seen(e.into());
        assert_eq!(s.code(), Code::Unavailable, "{s:?}");
        no_database_text(&shown);
    }
}
