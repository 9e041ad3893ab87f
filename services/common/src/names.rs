//! Resource names (AIP-122), page tokens (AIP-158), request ids (AIP-155) and
//! timestamps: the small conversions every service repeats at its edge.
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};

use crate::error::{AppError, AppResult, Violations};

/// Default and maximum page sizes (AIP-158).
pub const DEFAULT_PAGE_SIZE: u64 = 50;
pub const MAX_PAGE_SIZE: u64 = 1000;

/// A fresh, time-ordered id for a new resource.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Parses `collection/{id}` and returns the id.
pub fn parse_top(name: &str, collection: &str) -> Option<String> {
    let rest = name.strip_prefix(collection)?.strip_prefix('/')?;
    valid_id(rest).then(|| rest.to_string())
}

/// Parses `bodies/{body}/{collection}/{id}` and returns (body, id).
pub fn parse_nested(name: &str, collection: &str) -> Option<(String, String)> {
    let mut parts = name.split('/');
    match (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) {
        (Some("bodies"), Some(body), Some(c), Some(id), None)
            if c == collection && valid_id(body) && valid_id(id) =>
        {
            Some((body.to_string(), id.to_string()))
        }
        _ => None,
    }
}

/// Like [`parse_top`], recording a violation for `field` when malformed.
pub fn top_field(v: &mut Violations, name: &str, collection: &str, field: &str) -> String {
    match parse_top(name, collection) {
        Some(id) => id,
        None => {
            v.add(
                field,
                format!("must be a resource name {collection}/{{id}}"),
            );
            String::new()
        }
    }
}

/// Like [`parse_nested`], recording a violation for `field` when malformed.
pub fn nested_field(
    v: &mut Violations,
    name: &str,
    collection: &str,
    field: &str,
) -> (String, String) {
    match parse_nested(name, collection) {
        Some(p) => p,
        None => {
            v.add(
                field,
                format!("must be a resource name bodies/{{body}}/{collection}/{{id}}"),
            );
            (String::new(), String::new())
        }
    }
}

pub fn body_name(id: &str) -> String {
    format!("bodies/{id}")
}

pub fn nested_name(body: &str, collection: &str, id: &str) -> String {
    format!("bodies/{body}/{collection}/{id}")
}

/// AIP-155: a request id, when given, must be a UUID.
pub fn check_request_id(v: &mut Violations, request_id: &str) {
    if !request_id.is_empty() && uuid::Uuid::parse_str(request_id).is_err() {
        v.add("request_id", "must be a UUID");
    }
}

/// A page request: validated size and the key after which to continue.
#[derive(Debug, Clone)]
pub struct Page {
    pub size: u64,
    pub after: Option<String>,
}

/// No token this system issues is longer: its filter's values are bounded
/// (a few hundred characters each) and so are the keys.
const MAX_PAGE_TOKEN: usize = 4096;

/// Validates page_size and page_token; the token is opaque to clients and
/// bound to the listing's filter so it cannot be replayed against another.
pub fn page(v: &mut Violations, page_size: i32, page_token: &str, filter_key: &str) -> Page {
    let size = match page_size {
        s if s < 0 => {
            v.add("page_size", "must not be negative");
            DEFAULT_PAGE_SIZE
        }
        0 => DEFAULT_PAGE_SIZE,
        s => (s as u64).min(MAX_PAGE_SIZE),
    };
    let after = if page_token.is_empty() {
        None
    } else if page_token.len() > MAX_PAGE_TOKEN {
        v.add("page_token", "is not a token this listing issued");
        None
    } else {
        match decode_token(page_token, filter_key) {
            Some(k) => Some(k),
            None => {
                v.add("page_token", "is not a token this listing issued");
                None
            }
        }
    };
    Page { size, after }
}

fn decode_token(token: &str, filter_key: &str) -> Option<String> {
    let raw = URL_SAFE_NO_PAD.decode(token).ok()?;
    let s = String::from_utf8(raw).ok()?;
    // The filter is matched whole: it may itself hold a newline (a client's
    // filter value), the key never does.
    let key = s.strip_prefix(filter_key)?.strip_prefix('\n')?;
    (!key.contains(['\n', '\0'])).then(|| key.to_string())
}

/// The next page token after `last_key`, or empty when the page was short.
pub fn next_token(
    returned: usize,
    page: &Page,
    last_key: Option<&str>,
    filter_key: &str,
) -> String {
    match last_key {
        Some(k) if returned as u64 >= page.size => {
            URL_SAFE_NO_PAD.encode(format!("{filter_key}\n{k}"))
        }
        _ => String::new(),
    }
}

/// One page of a short listing read whole (the revisions of one body, the
/// versions of one power): ordered by `key`, which is unique, compares as
/// text (pad numbers) and holds no NUL or newline (join parts with \u{1}), the items after the token's key, at most a page, and
/// the token for the next. Sorting here keeps the order the same on every
/// backend, whatever its collation.
pub fn page_of<T>(
    mut items: Vec<T>,
    page: &Page,
    filter_key: &str,
    key: impl Fn(&T) -> String,
) -> (Vec<T>, String) {
    items.sort_by_cached_key(|t| key(t));
    let start = match &page.after {
        Some(after) => items.partition_point(|t| key(t).as_str() <= after.as_str()),
        None => 0,
    };
    let out: Vec<T> = items
        .into_iter()
        .skip(start)
        .take(page.size as usize)
        .collect();
    let last = out.last().map(&key);
    let next = next_token(out.len(), page, last.as_deref(), filter_key);
    (out, next)
}

pub fn to_ts(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

/// Microseconds since the epoch as a timestamp (None out of chrono's range).
pub fn us_ts(us: i64) -> Option<prost_types::Timestamp> {
    DateTime::from_timestamp_micros(us).map(to_ts)
}

/// A timestamp as microseconds since the epoch, saturating.
pub fn ts_us(t: &prost_types::Timestamp) -> i64 {
    t.seconds
        .saturating_mul(1_000_000)
        .saturating_add(i64::from(t.nanos / 1_000))
}

pub fn from_ts(t: &prost_types::Timestamp) -> Option<DateTime<Utc>> {
    if !(0..1_000_000_000).contains(&t.nanos) {
        return None;
    }
    DateTime::from_timestamp(t.seconds, t.nanos as u32)
}

/// A required timestamp field.
pub fn ts_field(
    v: &mut Violations,
    t: Option<&prost_types::Timestamp>,
    field: &str,
) -> Option<DateTime<Utc>> {
    match t.map(from_ts) {
        None => {
            v.add(field, "is required");
            None
        }
        Some(None) => {
            v.add(field, "is not a valid timestamp");
            None
        }
        Some(Some(t)) => Some(t),
    }
}

/// A required message field.
pub fn required<'a, T>(v: &mut Violations, m: Option<&'a T>, field: &str) -> Option<&'a T> {
    if m.is_none() {
        v.add(field, "is required");
    }
    m
}

/// Turns a decoded-but-unknown enum value into a violation.
pub fn enum_field<E: TryFrom<i32>>(
    v: &mut Violations,
    raw: i32,
    field: &str,
    allow_unspecified: bool,
) -> Option<E> {
    if raw == 0 && !allow_unspecified {
        v.add(field, "must be specified");
        return None;
    }
    match E::try_from(raw) {
        Ok(e) => Some(e),
        Err(_) => {
            v.add(field, format!("unknown value {raw}"));
            None
        }
    }
}

/// Not-found for a malformed name when it arrives alone (Get*), per AIP-131
/// a malformed name is INVALID_ARGUMENT.
pub fn name_or_invalid(name: &str, collection: &str) -> AppResult<String> {
    parse_top(name, collection).ok_or_else(|| {
        AppError::invalid(
            "name",
            format!("must be a resource name {collection}/{{id}}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_comes_back_whatever_its_filter_holds() {
        let mut v = Violations::new();
        let first = page(&mut v, 2, "", "group\nwith a newline");
        let token = next_token(2, &first, Some("42"), "group\nwith a newline");
        let next = page(&mut v, 2, &token, "group\nwith a newline");
        assert!(v.is_empty());
        assert_eq!(next.after.as_deref(), Some("42"));
        // Another filter, or a key no listing issues, is refused.
        page(&mut v, 2, &token, "group");
        let forged = URL_SAFE_NO_PAD.encode("group\nx\0");
        page(&mut v, 2, &forged, "group");
        // nor is one longer than any listing issues, before it is decoded
        let huge = URL_SAFE_NO_PAD.encode(format!("group\n{}", "9".repeat(MAX_PAGE_TOKEN)));
        page(&mut v, 2, &huge, "group");
        assert!(matches!(v.into_error(), AppError::Invalid(f) if f.len() == 3));
    }

    #[test]
    fn a_listing_read_whole_pages_once_through() {
        let mut v = Violations::new();
        let items: Vec<i32> = (1..=7).rev().collect();
        let key = |n: &i32| format!("{n:010}");
        let mut seen = Vec::new();
        let mut token = String::new();
        loop {
            let p = page(&mut v, 3, &token, "k");
            let (got, next) = page_of(items.clone(), &p, "k", key);
            seen.extend(got);
            if next.is_empty() {
                break;
            }
            token = next;
        }
        assert!(v.is_empty());
        assert_eq!(seen, (1..=7).collect::<Vec<_>>());
        // A token of another listing is refused.
        page(&mut v, 3, &token_for("other", "0000000003"), "k");
        assert!(!v.is_empty());
    }

    fn token_for(filter_key: &str, k: &str) -> String {
        next_token(
            1,
            &Page {
                size: 1,
                after: None,
            },
            Some(k),
            filter_key,
        )
    }
}
