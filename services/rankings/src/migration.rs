//! The rankings service's schema (history in `rankings_migrations`): runs
//! and their rows, each row's record kept whole beside what reads filter on.
//! Runs are never changed once recorded.
use probity_common::{db::SharedTables, schema::*};
use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(SharedTables::new("rankings")),
            Box::new(M0001Rankings),
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
