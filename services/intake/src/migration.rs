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
        vec![Box::new(SharedTables::new("intake")), Box::new(M0001Intake)]
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
