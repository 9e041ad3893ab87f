//! Department scope by body ancestry: a department acts for and reads its own
//! body and the bodies below it. A service keeps each record's ancestry (from the
//! registry, where a body's parent never changes) so reads filter without
//! asking the registry.
use crate::{AppError, AppResult, Reason, auth::Principal};

/// "/root/child/body/" from the registry's path of resource names.
pub fn path_of(body_path: &[String]) -> String {
    let mut s = String::from("/");
    for b in body_path {
        s.push_str(b.strip_prefix("bodies/").unwrap_or(b));
        s.push('/');
    }
    s
}

/// Refuses a department acting for a body outside its subtree.
pub fn check(principal: &Principal, body_path: &str) -> AppResult<()> {
    match principal.department_body() {
        Some(root) if !body_path.contains(&format!("/{root}/")) => Err(AppError::refused(
            Reason::OutsideDepartment,
            format!("bodies/{root} may only act for itself and the bodies below it"),
        )),
        _ => Ok(()),
    }
}

/// The LIKE pattern (with `ESCAPE '\\'`) a department's reads are limited
/// to, if any: `_` in a body id is a literal, not a wildcard.
pub fn read_pattern(principal: &Principal) -> Option<String> {
    principal
        .department_body()
        .map(|root| format!("%/{}/%", root.replace('_', "\\_")))
}
