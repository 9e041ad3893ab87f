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
/// to, if any.
pub fn read_pattern(principal: &Principal) -> Option<String> {
    principal.department_body().map(under)
}

/// The LIKE pattern (with `ESCAPE '\\'`) of the paths at and below body `id`.
pub fn under(id: &str) -> String {
    format!("%/{}/%", like_literal(id))
}

/// `s` as a literal inside a LIKE pattern with `ESCAPE '\\'`: `%`, `_` and
/// the escape itself match only themselves. Whatever reaches a LIKE from a
/// token or a request goes through here (the verifier also refuses a body
/// claim that is not a resource name: two locks on one door).
pub fn like_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_are_literals() {
        assert_eq!(like_literal("a%b_c\\d"), "a\\%b\\_c\\\\d");
        assert_eq!(under("%"), "%/\\%/%");
    }
}
