//! Credentials: `registry_credentials` (the card and its current columns, for
//! listings and filters) and `registry_credential_events` (every step of its
//! lifecycle, the record).
use probity_common::{AppResult, names::Page};
use probity_proto::registry::v1::CredentialStatus;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, sea_query::Expr,
};

use super::entities::{credential, credential_event, officer};

pub async fn credential<C: ConnectionTrait>(
    db: &C,
    id: &str,
) -> AppResult<Option<credential::Model>> {
    Ok(credential::Entity::find_by_id(id).one(db).await?)
}

/// The credential with this number (numbers are stored in upper case).
pub async fn by_number<C: ConnectionTrait>(
    db: &C,
    number: &str,
) -> AppResult<Option<credential::Model>> {
    Ok(credential::Entity::find()
        .filter(credential::Column::Number.eq(number))
        .one(db)
        .await?)
}

/// One of the holder's unrevoked credentials whose window overlaps
/// [from_us, until_us).
pub async fn overlapping<C: ConnectionTrait>(
    db: &C,
    holder_id: &str,
    from_us: i64,
    until_us: i64,
) -> AppResult<Option<credential::Model>> {
    Ok(credential::Entity::find()
        .filter(credential::Column::HolderId.eq(holder_id))
        .filter(credential::Column::RevokedUs.is_null())
        .filter(credential::Column::ValidFromUs.lt(until_us))
        .filter(credential::Column::ValidUntilUs.gt(from_us))
        .one(db)
        .await?)
}

/// Every credential the officer holds or held.
pub async fn of_holder<C: ConnectionTrait>(
    db: &C,
    holder_id: &str,
) -> AppResult<Vec<credential::Model>> {
    Ok(credential::Entity::find()
        .filter(credential::Column::HolderId.eq(holder_id))
        .all(db)
        .await?)
}

/// The steps of the credentials `ids`, by credential, each in seq order.
pub async fn events<C: ConnectionTrait>(
    db: &C,
    ids: Vec<String>,
) -> AppResult<Vec<credential_event::Model>> {
    Ok(credential_event::Entity::find()
        .filter(credential_event::Column::CredentialId.is_in(ids))
        .order_by_asc(credential_event::Column::CredentialId)
        .order_by_asc(credential_event::Column::Seq)
        .all(db)
        .await?)
}

/// Inserts an issued credential with its first step.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    m: &credential::Model,
    ev: &credential_event::Model,
) -> AppResult<()> {
    credential::Entity::insert(credential::ActiveModel::from(m.clone()))
        .exec_without_returning(db)
        .await?;
    credential_event::Entity::insert(credential_event::ActiveModel::from(ev.clone()))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Appends a lifecycle step and moves the current columns with it: a
/// revocation sets `revoked_us`, any other step `withheld_until_us`.
pub async fn append_event<C: ConnectionTrait>(
    db: &C,
    ev: &credential_event::Model,
) -> AppResult<()> {
    credential_event::Entity::insert(credential_event::ActiveModel::from(ev.clone()))
        .exec_without_returning(db)
        .await?;
    let upd = credential::Entity::update_many()
        .filter(credential::Column::Id.eq(ev.credential_id.clone()));
    let upd = match ev.kind.as_str() {
        "REVOKED" => upd.col_expr(credential::Column::RevokedUs, Expr::value(ev.at_us)),
        _ => upd.col_expr(
            credential::Column::WithheldUntilUs,
            Expr::value(ev.withheld_until_us),
        ),
    };
    upd.exec(db).await?;
    Ok(())
}

/// What ListCredentials filters on. `bodies`: only cards of officers now
/// in these bodies; `status`: as it stands at `now_us`.
pub struct CredentialFilter {
    pub holder: Option<String>,
    pub bodies: Option<Vec<String>>,
    pub status: Option<CredentialStatus>,
    pub now_us: i64,
}

/// One page of credentials, ordered by id.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    f: CredentialFilter,
    pg: &Page,
) -> AppResult<Vec<credential::Model>> {
    use credential::Column as Col;
    let now = f.now_us;
    let mut q = credential::Entity::find()
        .order_by_asc(Col::Id)
        .limit(pg.size);
    if let Some(h) = f.holder {
        q = q.filter(Col::HolderId.eq(h));
    }
    if let Some(bodies) = f.bodies {
        let holders = officer::Entity::find()
            .select_only()
            .column(officer::Column::Id)
            .filter(officer::Column::BodyId.is_in(bodies));
        q = q.filter(Col::HolderId.in_subquery(holders.into_query()));
    }
    q = match f.status {
        Some(CredentialStatus::Revoked) => q.filter(Col::RevokedUs.is_not_null()),
        Some(CredentialStatus::Expired) => q
            .filter(Col::RevokedUs.is_null())
            .filter(Col::ValidUntilUs.lte(now)),
        Some(CredentialStatus::NotYetValid) => q
            .filter(Col::RevokedUs.is_null())
            .filter(Col::ValidFromUs.gt(now)),
        Some(CredentialStatus::Withheld) => q
            .filter(Col::RevokedUs.is_null())
            .filter(Col::ValidFromUs.lte(now))
            .filter(Col::ValidUntilUs.gt(now))
            .filter(Col::WithheldUntilUs.gt(now)),
        Some(CredentialStatus::Valid) => q
            .filter(Col::RevokedUs.is_null())
            .filter(Col::ValidFromUs.lte(now))
            .filter(Col::ValidUntilUs.gt(now))
            .filter(
                Condition::any()
                    .add(Col::WithheldUntilUs.is_null())
                    .add(Col::WithheldUntilUs.lte(now)),
            ),
        _ => q,
    };
    if let Some(after) = &pg.after {
        q = q.filter(Col::Id.gt(after.clone()));
    }
    Ok(q.all(db).await?)
}
