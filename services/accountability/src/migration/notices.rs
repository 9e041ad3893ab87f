//! m0005: notices (通报), queued with the case or commendation that calls
//! for one and issued by the notices dispatcher (`crate::notices`).
use probity_common::schema::*;
use sea_orm_migration::prelude::*;

pub struct M0005Notices;

impl MigrationName for M0005Notices {
    fn name(&self) -> &str {
        "m0005_notices"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0005Notices {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(table(
            "accountability_notices",
            vec![
                s("id"),
                // cases/{case} or commendations/{commendation}: one notice each.
                s("source"),
                int("kind"),
                int("state"),
                // The year of issue (0 while queued).
                int("year"),
                s("subject"),
                text("body_path"),
                big("queued_us"),
                big_null("issued_us"),
                ColumnDef::new(Alias::new("record"))
                    .text()
                    .null()
                    .to_owned(),
            ],
            &["id"],
        ))
        .await?;
        for i in [
            index("accountability_notices", "source", &["source"], true),
            index(
                "accountability_notices",
                "queued",
                &["state", "queued_us"],
                false,
            ),
            index("accountability_notices", "year", &["year", "kind"], false),
        ] {
            m.create_index(i).await?;
        }
        Ok(())
    }
}
