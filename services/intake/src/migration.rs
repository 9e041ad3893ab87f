//! Intake's schema, owned by this service alone (history in
//! `intake_migrations`). Facts are append-only in substance: a correction or
//! void adds a row to `intake_revisions`; `intake_facts` points at the
//! current revision and carries the columns listings filter on.
use probity_common::{db::SharedTables, schema::*};
use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(SharedTables::new("intake")),
            Box::new(M0001Intake),
            Box::new(M0002FactReferences),
            Box::new(M0003FindingLifecycle),
            Box::new(M0004DrawSlots),
            Box::new(probity_common::db::SharedAuditGuards::new("intake")),
        ]
    }
    fn migration_table_name() -> DynIden {
        Alias::new("intake_migrations").into_iden()
    }
}

struct M0001Intake;

impl MigrationName for M0001Intake {
    fn name(&self) -> &str {
        "m0001_intake"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0001Intake {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            table(
                "intake_facts",
                vec![
                    big("id"),
                    s("body"),
                    text("body_path"),
                    s("source_id"),
                    int("kind"),
                    int("revision"),
                    boolean("voided"),
                    big("occurred_us"),
                    big("recorded_us"),
                ],
                &["id"],
            ),
            table(
                "intake_revisions",
                vec![
                    big("fact_id"),
                    int("revision"),
                    int("kind"),
                    s("body"),
                    bytes("payload"),
                    s("digest"),
                    text("reason"),
                    boolean("voided"),
                    s("actor"),
                    s("role"),
                    big("occurred_us"),
                    big("recorded_us"),
                    big("audit_seq"),
                ],
                &["fact_id", "revision"],
            ),
            table(
                "intake_fact_officers",
                vec![
                    big("fact_id"),
                    int("revision"),
                    s("officer"),
                    big("occurred_us"),
                ],
                &["fact_id", "revision", "officer"],
            ),
            table(
                "intake_findings",
                vec![
                    big("fact_id"),
                    int("revision"),
                    int("seq"),
                    s("rule"),
                    s("article"),
                    s("officer"),
                    text("detail"),
                    s("body"),
                    int("kind"),
                    big("occurred_us"),
                ],
                &["fact_id", "revision", "seq"],
            ),
        ];
        for t in tables {
            m.create_table(t).await?;
        }
        let indexes = [
            index("intake_facts", "source", &["body", "source_id"], true),
            index("intake_facts", "body_time", &["body", "occurred_us"], false),
            index("intake_facts", "time", &["occurred_us"], false),
            index(
                "intake_fact_officers",
                "officer_time",
                &["officer", "occurred_us"],
                false,
            ),
            index("intake_findings", "body_rule", &["body", "rule"], false),
            index("intake_findings", "officer", &["officer"], false),
            index("intake_findings", "time", &["occurred_us"], false),
        ];
        for i in indexes {
            m.create_index(i).await?;
        }
        Ok(())
    }
}

/// Which fact of the same body each fact refers to (a decision's matter, a
/// review's decision, a closing's complaint), as a column with a partial
/// index, so a void can find the live facts still referring to the fact
/// voided. Facts already stored get theirs from their current revision.
struct M0002FactReferences;

impl MigrationName for M0002FactReferences {
    fn name(&self) -> &str {
        "m0002_fact_references"
    }
}

/// Facts read and updated at a time while filling the column in.
const BACKFILL_CHUNK: u64 = 5_000;

#[async_trait::async_trait]
impl MigrationTrait for M0002FactReferences {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use probity_proto::intake::v1::{Fact, FactKind};
        use prost::Message;
        use sea_orm::{ConnectionTrait, DatabaseBackend, Value};

        m.alter_table(
            Table::alter()
                .table(Alias::new("intake_facts"))
                .add_column(
                    ColumnDef::new(Alias::new("refers_to"))
                        .text()
                        .not_null()
                        .default(""),
                )
                .to_owned(),
        )
        .await?;

        let c = m.get_connection();
        let pg = c.get_database_backend() == DatabaseBackend::Postgres;
        let p = |i: usize| if pg { format!("${i}") } else { "?".to_string() };
        let kinds = [
            FactKind::MatterClosing,
            FactKind::Decision,
            FactKind::ReviewOutcome,
            FactKind::ComplaintClosing,
            FactKind::Transfer,
            FactKind::CaseFileReview,
        ]
        .map(|k| (k as i32).to_string())
        .join(",");
        let select = format!(
            "SELECT f.id, r.payload FROM intake_facts f JOIN intake_revisions r \
             ON r.fact_id = f.id AND r.revision = f.revision \
             WHERE f.id > {} AND f.kind IN ({kinds}) ORDER BY f.id LIMIT {BACKFILL_CHUNK}",
            p(1)
        );
        let mut after = 0i64;
        loop {
            let rows = c
                .query_all_raw(probity_common::db::stmt(c, &select, vec![after.into()]))
                .await?;
            let Some(last) = rows.last() else { break };
            after = last.try_get("", "id")?;
            let mut ids = Vec::new();
            let mut refs = Vec::new();
            for row in &rows {
                let payload: Vec<u8> = row.try_get("", "payload")?;
                let fact = Fact::decode(payload.as_slice())
                    .map_err(|e| DbErr::Migration(format!("a stored fact does not decode: {e}")))?;
                let to = crate::checks::refers_to(&fact);
                if !to.is_empty() {
                    ids.push(Value::from(row.try_get::<i64>("", "id")?));
                    refs.push(Value::from(to.to_string()));
                }
            }
            if pg {
                let update = "UPDATE intake_facts f SET refers_to = x.r \
                     FROM UNNEST($1::bigint[], $2::text[]) AS x(id, r) WHERE f.id = x.id";
                let arrays = vec![
                    Value::Array(sea_orm::sea_query::ArrayType::BigInt, Some(Box::new(ids))),
                    Value::Array(sea_orm::sea_query::ArrayType::String, Some(Box::new(refs))),
                ];
                c.execute_raw(probity_common::db::stmt(c, update, arrays))
                    .await?;
            } else {
                for (id, to) in ids.into_iter().zip(refs) {
                    c.execute_raw(probity_common::db::stmt(
                        c,
                        "UPDATE intake_facts SET refers_to = ? WHERE id = ?",
                        vec![to, id],
                    ))
                    .await?;
                }
            }
        }

        // Partial: most facts refer to nothing.
        c.execute_unprepared(
            "CREATE INDEX intake_facts_refers_to ON intake_facts (body, refers_to) \
             WHERE refers_to <> ''",
        )
        .await?;
        Ok(())
    }
}

/// Findings outlive the revision they were found on: where each stands
/// (`FindingState`: 1 open, the default for every finding already stored),
/// the revision that superseded it, and the office's ruling with who, why
/// and when.
struct M0003FindingLifecycle;

impl MigrationName for M0003FindingLifecycle {
    fn name(&self) -> &str {
        "m0003_finding_lifecycle"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0003FindingLifecycle {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column a statement: SQLite adds no more.
        let columns = [
            ColumnDef::new(Alias::new("state"))
                .integer()
                .not_null()
                .default(1)
                .to_owned(),
            ColumnDef::new(Alias::new("superseded_by"))
                .integer()
                .not_null()
                .default(0)
                .to_owned(),
            ColumnDef::new(Alias::new("ruled_by"))
                .text()
                .not_null()
                .default("")
                .to_owned(),
            ColumnDef::new(Alias::new("ruling_reason"))
                .text()
                .not_null()
                .default("")
                .to_owned(),
            ColumnDef::new(Alias::new("ruled_us"))
                .big_integer()
                .not_null()
                .default(0)
                .to_owned(),
        ];
        for mut c in columns {
            m.alter_table(
                Table::alter()
                    .table(Alias::new("intake_findings"))
                    .add_column(&mut c)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
/// Which inspection each drawn (draw, target) went to (双随机, issue 18): one
/// slot, one inspection, for good. The primary key is what makes a second
/// claim impossible, whichever replica writes it.
struct M0004DrawSlots;

impl MigrationName for M0004DrawSlots {
    fn name(&self) -> &str {
        "m0004_draw_slots"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0004DrawSlots {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(table(
            "intake_draw_slots",
            vec![
                s("draw"),
                s("target"),
                big("fact_id"),
                int("revision"),
                big("recorded_us"),
            ],
            &["draw", "target"],
        ))
        .await?;
        Ok(())
    }
}

/// Columns holding the sequence of the audit entry that recorded the row:
/// `audit verify` refuses a chain head behind any of them.
pub const AUDIT_ANCHORS: &[probity_common::audit::Anchor] = &[("intake_revisions", "audit_seq")];
