//! m0006: Art. 22 referrals, one per REFERRAL sanction of an executed
//! decision; their history is in accountability_events like a case's.
use probity_common::schema::*;
use sea_orm_migration::prelude::*;

pub struct M0006Referrals;

impl MigrationName for M0006Referrals {
    fn name(&self) -> &str {
        "m0006_referrals"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0006Referrals {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(table(
            "accountability_referrals",
            vec![
                s("id"),
                s("case_id"),
                int("state"),
                big("due_us"),
                text("body_path"),
                big("created_us"),
                text("record"),
            ],
            &["id"],
        ))
        .await?;
        for i in [
            index("accountability_referrals", "case", &["case_id"], false),
            index(
                "accountability_referrals",
                "due",
                &["state", "due_us"],
                false,
            ),
        ] {
            m.create_index(i).await?;
        }
        Ok(())
    }
}
