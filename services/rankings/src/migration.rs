//! The rankings service's schema (history in `rankings_migrations`): runs
//! and their rows, each row's record kept whole beside what reads filter on;
//! superior assessments of vertically managed bodies, a row a revision;
//! the runs' reports, their bytes in chunks (m0004).
//! Runs and revisions are never changed once recorded.
use probity_common::{db::SharedTables, schema::*};
use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(SharedTables::new("rankings")),
            Box::new(M0001Rankings),
            Box::new(M0002RunAsOf),
            Box::new(M0003SuperiorAssessments),
            Box::new(M0004Reports),
            Box::new(probity_common::db::SharedAuditGuards::new("rankings")),
        ]
    }
    fn migration_table_name() -> DynIden {
        Alias::new("rankings_migrations").into_iden()
    }
}

struct M0001Rankings;

impl MigrationName for M0001Rankings {
    fn name(&self) -> &str {
        "m0001_rankings"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0001Rankings {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(table(
            "rankings_runs",
            vec![
                s("id"),
                int("year"),
                boolean("finalized"),
                big("created_us"),
                bytes("doc"),
            ],
            &["id"],
        ))
        .await?;
        m.create_table(table(
            "rankings_rows",
            vec![
                s("run_id"),
                int("level"),
                big("ord"),
                s("subject"),
                text("body_path"),
                s("peer_group"),
                boolean("flagged"),
                bytes("doc"),
            ],
            &["run_id", "level", "ord"],
        ))
        .await?;
        m.create_index(index(
            "rankings_runs",
            "year",
            &["year", "created_us"],
            false,
        ))
        .await?;
        m.create_index(index(
            "rankings_rows",
            "subject",
            &["run_id", "subject"],
            false,
        ))
        .await?;
        Ok(())
    }
}

/// The day a run counts facts up to, beside the run, so "the year's latest
/// run" is the one with the latest day (a rerun of June recorded after
/// November's is not the latest). Runs already recorded get theirs from
/// their record.
struct M0002RunAsOf;

impl MigrationName for M0002RunAsOf {
    fn name(&self) -> &str {
        "m0002_run_as_of"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0002RunAsOf {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use probity_common::db::stmt;
        use probity_proto::rankings::v1::Run;
        use prost::Message;
        use sea_orm::ConnectionTrait;

        m.alter_table(
            Table::alter()
                .table(Alias::new("rankings_runs"))
                .add_column(
                    ColumnDef::new(Alias::new("as_of"))
                        .string()
                        .not_null()
                        .default(""),
                )
                .to_owned(),
        )
        .await?;
        // Runs are few (one a night): read and fill them one by one.
        let c = m.get_connection();
        for row in c
            .query_all_raw(stmt(c, "SELECT id, doc FROM rankings_runs", vec![]))
            .await?
        {
            let id: String = row.try_get("", "id")?;
            let doc: Vec<u8> = row.try_get("", "doc")?;
            let run = Run::decode(doc.as_slice())
                .map_err(|e| DbErr::Migration(format!("run {id} does not decode: {e}")))?;
            c.execute_raw(stmt(
                c,
                "UPDATE rankings_runs SET as_of = $1 WHERE id = $2",
                vec![run.as_of.into(), id.into()],
            ))
            .await?;
        }
        m.create_index(index(
            "rankings_runs",
            "latest",
            &["year", "finalized", "as_of", "created_us"],
            false,
        ))
        .await
    }
}

/// Art. 4: a vertically managed body's assessment by its superior, as the
/// legal-affairs office recorded it; a correction is the next revision.
struct M0003SuperiorAssessments;

impl MigrationName for M0003SuperiorAssessments {
    fn name(&self) -> &str {
        "m0003_superior_assessments"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0003SuperiorAssessments {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(table(
            "rankings_superior_assessments",
            vec![
                s("body"),
                int("year"),
                int("revision"),
                int("grade"),
                ColumnDef::new(Alias::new("score"))
                    .double()
                    .null()
                    .to_owned(),
                text("superior"),
                text("document"),
                s("assessed_date"),
                text("note"),
                text("correction_reason"),
                text("body_display_name"),
                text("body_path"),
                s("recorder"),
                big("created_us"),
            ],
            &["body", "year", "revision"],
        ))
        .await?;
        m.create_index(index(
            "rankings_superior_assessments",
            "year",
            &["year", "body"],
            false,
        ))
        .await
    }
}

/// A run's reports as uploaded: one row a file (its digest as the run
/// declared it) and its bytes in chunks of at most 1 MiB, in the database
/// so every replica serves them and a download streams a chunk at a time.
struct M0004Reports;

impl MigrationName for M0004Reports {
    fn name(&self) -> &str {
        "m0004_reports"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0004Reports {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(table(
            "rankings_reports",
            vec![
                s("run_id"),
                s("path"),
                s("sha256"),
                big("size_bytes"),
                s("content_type"),
                big("chunks"),
                big("uploaded_us"),
            ],
            &["run_id", "path"],
        ))
        .await?;
        m.create_table(table(
            "rankings_report_chunks",
            vec![s("run_id"), s("path"), big("seq"), bytes("data")],
            &["run_id", "path", "seq"],
        ))
        .await
    }
}
