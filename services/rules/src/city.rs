//! The city's calendar: the regulation's years and days are counted in its
//! time zone (UTC+8), not UTC's.
use chrono::{FixedOffset, NaiveDate, TimeZone};

/// The city's offset from UTC.
pub const CITY_OFFSET_SECS: i32 = 8 * 3600;

/// The earliest year a record may fall in: nothing the system keeps
/// predates 2000, so an earlier time is a client's mistake (a zero or
/// default timestamp, most often).
pub const EARLIEST_YEAR: i32 = 2000;

pub fn city() -> FixedOffset {
    FixedOffset::east_opt(CITY_OFFSET_SECS).expect("UTC+8 is a valid offset")
}

/// The city's calendar year of an instant (microseconds since the epoch).
pub fn year_of_us(us: i64) -> i32 {
    use chrono::Datelike;
    chrono::DateTime::from_timestamp_micros(us)
        .map(|t| t.with_timezone(&city()).year())
        .unwrap_or(0)
}

/// Start of `year` in the city, in microseconds since the epoch.
pub fn year_start_us(year: i32) -> i64 {
    city()
        .with_ymd_and_hms(year, 1, 1, 0, 0, 0)
        .single()
        .map(|t| t.timestamp_micros())
        .unwrap_or(0)
}

/// Start of [`EARLIEST_YEAR`] in the city, in microseconds.
pub fn earliest_us() -> i64 {
    year_start_us(EARLIEST_YEAR)
}

/// Midnight starting `date` in the city, in microseconds.
pub fn day_start_us(date: NaiveDate) -> i64 {
    city()
        .from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .map(|t| t.timestamp_micros())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_citys_year_starts_eight_hours_before_utcs() {
        // 2000-01-01T00:00+08:00 is 1999-12-31T16:00Z
        assert_eq!(earliest_us(), 946_656_000_000_000);
        assert_eq!(
            year_start_us(2024) - year_start_us(2023),
            365 * 86_400_000_000
        );
    }

    #[test]
    fn a_year_turns_at_the_citys_midnight() {
        let start = year_start_us(2024);
        // 2023-12-31T16:00Z: still 2023 in UTC, already 2024 in the city
        assert_eq!(start, 1_704_038_400_000_000);
        assert_eq!(year_of_us(start), 2024);
        assert_eq!(year_of_us(start - 1), 2023);
        let new_years_day = NaiveDate::from_ymd_opt(2024, 1, 1).expect("a date");
        assert_eq!(day_start_us(new_years_day), start);
        let next = NaiveDate::from_ymd_opt(2024, 1, 2).expect("a date");
        assert_eq!(day_start_us(next) - start, 86_400_000_000);
    }
}
