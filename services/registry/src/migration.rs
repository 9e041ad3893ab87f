//! The registry's schema, owned by this service alone. Migration history is
//! kept in `registry_migrations` so services can share one database.
use probity_common::db::SharedTables;
use probity_common::schema::*;
use sea_orm_migration::prelude::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(SharedTables::new("registry")),
            Box::new(M0001Registry),
            Box::new(M0002OfficerEventRole),
            Box::new(M0003KnownAt),
            Box::new(M0004MajorCriteria),
            Box::new(M0005TimeLimits),
            Box::new(M0006RegisteredBeside),
            Box::new(probity_common::db::SharedAuditGuards::new("registry")),
        ]
    }
    fn migration_table_name() -> DynIden {
        Alias::new("registry_migrations").into_iden()
    }
}

struct M0001Registry;

impl MigrationName for M0001Registry {
    fn name(&self) -> &str {
        "m0001_registry"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0001Registry {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            table(
                "registry_bodies",
                vec![
                    s("id"),
                    s("display_name"),
                    int("kind"),
                    s_null("parent_id"),
                    s_null("entrusted_by"),
                    s("region_code"),
                    boolean("vertically_managed"),
                    big("created_us"),
                ],
                &["id"],
            ),
            table(
                "registry_units",
                vec![s("id"), s("body_id"), s("display_name"), big("created_us")],
                &["id"],
            ),
            table(
                "registry_posts",
                vec![
                    s("id"),
                    s("body_id"),
                    s_null("unit_id"),
                    s("display_name"),
                    text("responsibilities"),
                    big("created_us"),
                ],
                &["id"],
            ),
            table(
                "registry_post_powers",
                vec![
                    s("id"),
                    s("post_id"),
                    s("power_id"),
                    s("body_id"),
                    big("from_us"),
                    big_null("to_us"),
                ],
                &["id"],
            ),
            table(
                "registry_powers",
                vec![
                    s("id"),
                    s("body_id"),
                    s("code"),
                    int("category"),
                    int("current_version"),
                    int("state"),
                    s("display_name"),
                    big("created_us"),
                ],
                &["id"],
            ),
            table(
                "registry_power_versions",
                vec![
                    s("power_id"),
                    int("version"),
                    s("display_name"),
                    text("legal_bases"),
                    text("duty"),
                    s("flowchart_ref"),
                    text("benchmark"),
                    int("state"),
                    text("reason"),
                    big("effective_us"),
                    big("recorded_us"),
                ],
                &["power_id", "version"],
            ),
            table(
                "registry_officers",
                vec![
                    s("id"),
                    s("display_name"),
                    int("kind"),
                    s("body_id"),
                    int("status"),
                    s("national_id_hmac"),
                    text("posts"),
                    big("created_us"),
                    big("last_effective_us"),
                ],
                &["id"],
            ),
            table(
                "registry_officer_events",
                vec![
                    s("officer_id"),
                    int("seq"),
                    s("kind"),
                    big("effective_us"),
                    big("recorded_us"),
                    s("body_id"),
                    int("status"),
                    text("posts"),
                    text("reason"),
                    s("actor"),
                ],
                &["officer_id", "seq"],
            ),
            table(
                "registry_credentials",
                vec![
                    s("id"),
                    s("number"),
                    s("holder_id"),
                    s("issuing_authority"),
                    big("valid_from_us"),
                    big("valid_until_us"),
                    big_null("revoked_us"),
                    big_null("withheld_until_us"),
                    big("created_us"),
                ],
                &["id"],
            ),
            table(
                "registry_credential_events",
                vec![
                    s("credential_id"),
                    int("seq"),
                    s("kind"),
                    big("at_us"),
                    big_null("withheld_until_us"),
                    text("reason"),
                    s("actor"),
                ],
                &["credential_id", "seq"],
            ),
            table(
                "registry_body_revisions",
                vec![
                    s("body_id"),
                    int("revision"),
                    s("display_name"),
                    s("region_code"),
                    boolean("vertically_managed"),
                    text("reason"),
                    s("actor"),
                    big("recorded_us"),
                ],
                &["body_id", "revision"],
            ),
            table(
                "registry_post_revisions",
                vec![
                    s("post_id"),
                    int("revision"),
                    s("display_name"),
                    s_null("unit_id"),
                    text("responsibilities"),
                    text("reason"),
                    s("actor"),
                    big("recorded_us"),
                ],
                &["post_id", "revision"],
            ),
        ];
        for t in tables {
            m.create_table(t).await?;
        }
        let indexes = [
            index("registry_bodies", "parent", &["parent_id"], false),
            index("registry_units", "body", &["body_id"], false),
            index("registry_posts", "body", &["body_id"], false),
            index("registry_post_powers", "post", &["post_id"], false),
            index("registry_post_powers", "power", &["power_id"], false),
            index("registry_powers", "code", &["body_id", "code"], true),
            index(
                "registry_officers",
                "national_id",
                &["national_id_hmac"],
                true,
            ),
            index("registry_officers", "body", &["body_id"], false),
            index("registry_credentials", "number", &["number"], true),
            index("registry_credentials", "holder", &["holder_id"], false),
        ];
        for i in indexes {
            m.create_index(i).await?;
        }
        Ok(())
    }
}

/// The role each officer event was recorded with, so that a status imposed
/// as a sanction can be told from one a department set itself. Nullable:
/// events recorded before this migration keep NULL (their audit entry says).
struct M0002OfficerEventRole;

impl MigrationName for M0002OfficerEventRole {
    fn name(&self) -> &str {
        "m0002_officer_event_role"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0002OfficerEventRole {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Alias::new("registry_officer_events"))
                .add_column(s_null("actor_role"))
                .to_owned(),
        )
        .await
    }
}

/// When each post-power change was recorded, so that CheckActors can read
/// the registry as it stood at an instant (`known_time`); and the changes the
/// legal-affairs office recorded late. Rows written before this migration
/// count as recorded when they took effect, which is how they were read
/// until now.
struct M0003KnownAt;

impl MigrationName for M0003KnownAt {
    fn name(&self) -> &str {
        "m0003_known_at"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0003KnownAt {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use sea_orm::ConnectionTrait;
        // One column per statement: SQLite alters one thing at a time.
        for col in [
            ColumnDef::new(Alias::new("recorded_us"))
                .big_integer()
                .not_null()
                .default(0)
                .to_owned(),
            big_null("to_recorded_us"),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Alias::new("registry_post_powers"))
                    .add_column(col)
                    .to_owned(),
            )
            .await?;
        }
        m.get_connection()
            .execute_unprepared(
                "UPDATE registry_post_powers SET recorded_us = from_us, to_recorded_us = to_us",
            )
            .await?;
        m.create_table(table(
            "registry_late_changes",
            vec![
                s("id"),
                s("entity"),
                s("method"),
                s("body_id"),
                big("effective_us"),
                big("recorded_us"),
                text("reason"),
                s("actor"),
                s("role"),
            ],
            &["id"],
        ))
        .await?;
        m.create_index(index("registry_late_changes", "body", &["body_id"], false))
            .await
    }
}

/// The catalogue of major decisions: a power's criteria, versioned with the
/// time they took effect and the time they were recorded.
struct M0004MajorCriteria;

impl MigrationName for M0004MajorCriteria {
    fn name(&self) -> &str {
        "m0004_major_criteria"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0004MajorCriteria {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(table(
            "registry_major_criteria",
            vec![
                s("power_id"),
                int("version"),
                boolean("always"),
                big("fine_at_least_fen"),
                text("measures"),
                text("reason"),
                s("actor"),
                big("effective_us"),
                big("recorded_us"),
            ],
            &["power_id", "version"],
        ))
        .await
    }
}

/// Every power version carries its statutory time limit (法定时限, Art. 13,
/// 19(4), 20(1)) in days, versioned with it like the benchmark; versions
/// recorded before this migration have none (0).
struct M0005TimeLimits;

impl MigrationName for M0005TimeLimits {
    fn name(&self) -> &str {
        "m0005_time_limits"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0005TimeLimits {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Alias::new("registry_power_versions"))
                .add_column(
                    ColumnDef::new(Alias::new("time_limit_days"))
                        .integer()
                        .not_null()
                        .default(0),
                )
                .to_owned(),
        )
        .await
    }
}

/// One person may be registered by two bodies (issue 19): a department that
/// registers someone another body holds is answered as for anyone new, so
/// CreateOfficer tells no one where a person serves, and a body that
/// registered a person first locks no one out. The national ID's unique index
/// gives way to a plain one; a sanction follows the person (officers.rs).
struct M0006RegisteredBeside;

impl MigrationName for M0006RegisteredBeside {
    fn name(&self) -> &str {
        "m0006_registered_beside"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0006RegisteredBeside {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index(
            "registry_officers",
            "person",
            &["national_id_hmac"],
            false,
        ))
        .await?;
        // Plain SQL: the same statement on SQLite and PostgreSQL.
        m.get_connection()
            .execute_unprepared("DROP INDEX registry_officers_national_id")
            .await?;
        Ok(())
    }
}
