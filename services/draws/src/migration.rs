//! The draws service's schema (history in `draws_migrations`): target lists
//! and plans, a row a revision, never changed; draws, a row each, whose state
//! only moves forward (committed, public value, drawn or abandoned), every
//! move audited. Each row keeps its record whole (protobuf `doc`) beside the
//! columns reads filter on.
use probity_common::{db::SharedTables, schema::*};
use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(SharedTables::new("draws")),
            Box::new(M0001Draws),
            Box::new(probity_common::db::SharedAuditGuards::new("draws")),
        ]
    }
    fn migration_table_name() -> DynIden {
        Alias::new("draws_migrations").into_iden()
    }
}

struct M0001Draws;

impl MigrationName for M0001Draws {
    fn name(&self) -> &str {
        "m0001_draws"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0001Draws {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(table(
            "draws_target_lists",
            vec![s("unit"), int("revision"), big("created_us"), bytes("doc")],
            &["unit", "revision"],
        ))
        .await?;
        m.create_table(table(
            "draws_plans",
            vec![
                s("unit"),
                s("power"),
                int("year"),
                int("revision"),
                big("created_us"),
                bytes("doc"),
            ],
            &["unit", "power", "year", "revision"],
        ))
        .await?;
        m.create_table(table(
            "draws_draws",
            vec![
                s("id"),
                s("unit"),
                s("power"),
                int("year"),
                int("state"),
                s("creator"),
                big("created_us"),
                bytes("doc"),
            ],
            &["id"],
        ))
        .await?;
        m.create_index(index(
            "draws_draws",
            "unit",
            &["unit", "power", "created_us"],
            false,
        ))
        .await
    }
}
