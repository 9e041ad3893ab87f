//! Department scoping: a department token reaches its own body and the
//! bodies below it, nothing else.
use probity_common::{
    AppError, AppResult, Reason,
    auth::{Principal, Role},
};
use sea_orm::ConnectionTrait;

use crate::store::bodies;

/// Refuses unless the caller may act on `body_id`.
pub async fn ensure<C: ConnectionTrait>(db: &C, p: &Principal, body_id: &str) -> AppResult<()> {
    if p.role == Role::Anonymous {
        return Err(AppError::refused(
            Reason::TokenRequired,
            "only public methods answer without a token",
        ));
    }
    let Some(root) = p.department_body() else {
        return Ok(());
    };
    let mut cur = Some(body_id.to_string());
    let mut hops = 0;
    while let Some(id) = cur {
        if id == root {
            return Ok(());
        }
        hops += 1;
        if hops > 64 {
            break;
        }
        cur = bodies::body(db, &id).await?.and_then(|b| b.parent_id);
    }
    Err(outside(root, body_id))
}

pub fn outside(root: &str, body_id: &str) -> AppError {
    AppError::refused(
        Reason::OutsideBodyScope,
        format!("a token for bodies/{root} cannot reach bodies/{body_id}"),
    )
}

/// The caller's bodies for listings: `None` = all, else the department's subtree.
pub async fn visible<C: ConnectionTrait>(db: &C, p: &Principal) -> AppResult<Option<Vec<String>>> {
    if p.role == Role::Anonymous {
        return Ok(Some(Vec::new()));
    }
    let Some(root) = p.department_body() else {
        return Ok(None);
    };
    let mut all = vec![root.to_string()];
    let mut frontier = vec![root.to_string()];
    while !frontier.is_empty() {
        let children = bodies::children(db, &frontier).await?;
        all.extend(children.iter().cloned());
        frontier = children;
    }
    Ok(Some(all))
}
