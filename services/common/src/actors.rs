//! What the registry and intake share about a CheckActors answer: the span
//! it holds for, and the group rule of Art. 18, which lives with the
//! regulation's other rules in `probity-rules`.

/// The smallest span [from, until) around `t` that no change point cuts:
/// every rule of the registry compares an instant with stored instants
/// (`point <= t`), so an answer holds between consecutive points.
pub fn span_around(t: i64, points: impl IntoIterator<Item = i64>) -> (Option<i64>, Option<i64>) {
    let (mut from, mut until) = (None::<i64>, None::<i64>);
    for p in points {
        if p <= t {
            from = Some(from.map_or(p, |f| f.max(p)));
        } else {
            until = Some(until.map_or(p, |u| u.min(p)));
        }
    }
    (from, until)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_between_points() {
        assert_eq!(span_around(5, [1, 5, 9, 12]), (Some(5), Some(9)));
        assert_eq!(span_around(4, [1, 5, 9]), (Some(1), Some(5)));
        assert_eq!(span_around(0, [1, 5]), (None, Some(1)));
        assert_eq!(span_around(20, [1, 5]), (Some(5), None));
        assert_eq!(span_around(3, []), (None, None));
    }
}
