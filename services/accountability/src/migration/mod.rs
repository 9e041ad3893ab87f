//! Accountability's schema, owned by this service alone (history in
//! `accountability_migrations`). Cases and orders keep their current form in
//! one row (what listings filter on, plus the whole record) and every change
//! as an event row holding the record as it became: nothing is rewritten
//! without its history. Records were API messages (protobuf, `doc`) until
//! m0003, which made them the service's own rows (JSON, `record`).
use probity_common::{db::SharedTables, schema::*};
use sea_orm_migration::prelude::*;

mod notices;
mod own_records;
mod referrals;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(SharedTables::new("accountability")),
            Box::new(M0001Accountability),
            Box::new(M0002GatheredFindings),
            Box::new(own_records::M0003OwnRecords),
            Box::new(notices::M0005Notices),
            Box::new(referrals::M0006Referrals),
            Box::new(probity_common::db::SharedAuditGuards::new("accountability")),
        ]
    }
    fn migration_table_name() -> DynIden {
        Alias::new("accountability_migrations").into_iden()
    }
}

struct M0001Accountability;

impl MigrationName for M0001Accountability {
    fn name(&self) -> &str {
        "m0001_accountability"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0001Accountability {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            table(
                "accountability_cases",
                vec![
                    s("id"),
                    s("subject"),
                    int("subject_kind"),
                    s("body"),
                    text("body_path"),
                    int("state"),
                    int("origin_kind"),
                    s_null("origin_key"),
                    big("state_us"),
                    big("created_us"),
                    big("version"),
                    bytes("doc"),
                ],
                &["id"],
            ),
            // Every change of a case or an order, with the record after it.
            table(
                "accountability_events",
                vec![
                    s("entity"),
                    big("seq"),
                    s("action"),
                    int("from_state"),
                    int("to_state"),
                    s("actor"),
                    s("role"),
                    big("at_us"),
                    text("reason"),
                    big("audit_seq"),
                    bytes("doc"),
                ],
                &["entity", "seq"],
            ),
            // The outbox: sanction effects waiting for the registry.
            table(
                "accountability_effects",
                vec![
                    s("case_id"),
                    int("n"),
                    int("kind"),
                    s("officer"),
                    big_null("until_us"),
                    int("state"),
                    int("attempts"),
                    text("last_error"),
                    big("next_us"),
                    big_null("applied_us"),
                    text("credentials"),
                    text("reason"),
                ],
                &["case_id", "n"],
            ),
            table(
                "accountability_orders",
                vec![
                    s("id"),
                    s("body"),
                    text("body_path"),
                    int("state"),
                    big("deadline_us"),
                    big("created_us"),
                    big("version"),
                    bytes("doc"),
                ],
                &["id"],
            ),
            table(
                "accountability_commendations",
                vec![
                    s("id"),
                    int("year"),
                    s("subject"),
                    int("subject_kind"),
                    text("body_path"),
                    big("created_us"),
                    bytes("doc"),
                ],
                &["id"],
            ),
        ];
        for t in tables {
            m.create_table(t).await?;
        }
        let indexes = [
            index("accountability_cases", "origin", &["origin_key"], true),
            index("accountability_cases", "subject", &["subject"], false),
            index(
                "accountability_cases",
                "state",
                &["state", "state_us"],
                false,
            ),
            index(
                "accountability_effects",
                "due",
                &["state", "next_us"],
                false,
            ),
            index(
                "accountability_orders",
                "due",
                &["state", "deadline_us"],
                false,
            ),
            index("accountability_orders", "body", &["body"], false),
            index(
                "accountability_commendations",
                "subject",
                &["year", "subject"],
                true,
            ),
        ];
        for i in indexes {
            m.create_index(i).await?;
        }
        Ok(())
    }
}

/// The intake findings the findings sweep gathered into a case: each is
/// gathered once, so a case is raised once per finding however often the
/// sweep runs, on however many replicas.
struct M0002GatheredFindings;

impl MigrationName for M0002GatheredFindings {
    fn name(&self) -> &str {
        "m0002_gathered_findings"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0002GatheredFindings {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(table(
            "accountability_gathered_findings",
            vec![
                s("finding"),
                s("case_id"),
                s("rule"),
                s("subject"),
                big("gathered_us"),
            ],
            &["finding"],
        ))
        .await
    }
}
/// Columns holding the sequence of the audit entry that recorded the row:
/// `audit verify` refuses a chain head behind any of them.
pub const AUDIT_ANCHORS: &[probity_common::audit::Anchor] =
    &[("accountability_events", "audit_seq")];
