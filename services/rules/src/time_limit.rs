//! Statutory time limits (法定时限, Art. 13, 19(4), 20(1)): when a matter
//! accepted at an instant must be closed, given its power's limit in days.
//!
//! Days are calendar days in the city (UTC+8), counted as the Civil Code
//! counts periods (民法典 Art. 201, 203): the day of acceptance is not
//! counted, the period starts the next day, and its last day ends at 24:00.
//! So a matter accepted on 1 March with a 20-day limit may be closed at any
//! time on 21 March and is overdue from 22 March 00:00. Laws that count in
//! working days (行政许可法 Art. 82) are entered as their
//! calendar-day equivalent; the extension of a last day that falls on a
//! public holiday (民法典 Art. 203) is not applied, as the system keeps no
//! holiday calendar: a limit so ending errs toward finding, and the office
//! clears such a finding with its reason.
use chrono::{DateTime, Days};

use crate::city::{city, day_start_us};

const DAY_US: i64 = 86_400_000_000;

/// The first instant (microseconds) at which a matter accepted at
/// `accept_us` under a limit of `days` is overdue; None for no limit
/// (`days` <= 0) or an instant out of range.
pub fn overdue_from_us(accept_us: i64, days: i32) -> Option<i64> {
    if days <= 0 {
        return None;
    }
    let accepted = DateTime::from_timestamp_micros(accept_us)?.with_timezone(&city());
    let first_late_day = accepted
        .date_naive()
        .checked_add_days(Days::new(days as u64 + 1))?;
    Some(day_start_us(first_late_day))
}

/// Whether closing at `close_us` is past the limit.
pub fn closed_late(close_us: i64, overdue_from_us: i64) -> bool {
    close_us >= overdue_from_us
}

/// Whole days from the limit's end to `now_us` (0 on its first late day).
pub fn days_late(now_us: i64, overdue_from_us: i64) -> i64 {
    (now_us - overdue_from_us).div_euclid(DAY_US)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        city()
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("a time")
            .timestamp_micros()
    }

    #[test]
    fn the_acceptance_day_is_not_counted_and_the_last_day_ends_at_midnight() {
        // Accepted late on 1 March 2025 (city time), 20 days: 21 March is
        // the last day, 22 March 00:00 the first instant late.
        let end = overdue_from_us(at(2025, 3, 1, 23, 30), 20).expect("a limit");
        assert_eq!(end, at(2025, 3, 22, 0, 0));
        assert!(!closed_late(at(2025, 3, 21, 23, 59), end));
        assert!(closed_late(at(2025, 3, 22, 0, 0), end));
        // Early morning in the city is still the previous day in UTC: the
        // city's date counts.
        let end = overdue_from_us(at(2025, 3, 1, 0, 30), 1).expect("a limit");
        let d = NaiveDate::from_ymd_opt(2025, 3, 3).expect("a date");
        assert_eq!(end, day_start_us(d));
        assert_eq!(days_late(end, end), 0);
        assert_eq!(days_late(end + DAY_US, end), 1);
    }

    #[test]
    fn no_limit_is_no_deadline() {
        assert_eq!(overdue_from_us(at(2025, 3, 1, 9, 0), 0), None);
        assert_eq!(overdue_from_us(at(2025, 3, 1, 9, 0), -3), None);
    }
}
