//! Quota periods: a day, a week or a month in UTC, as API Gateway counts
//! them, each shifted by the plan's offset.

use time::{Date, Month, OffsetDateTime};

use crate::config::QuotaPeriod;

const DAY: i64 = 86_400;

/// A compiled quota: at most `limit` requests per key per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: u64,
    pub period: QuotaPeriod,
    /// Hours after midnight (`day`), days after Sunday (`week`) or days
    /// after the 1st (`month`) at which each period starts.
    pub offset: u32,
}

/// The largest offset each period takes.
pub fn max_offset(period: QuotaPeriod) -> u32 {
    match period {
        QuotaPeriod::Day => 23,
        QuotaPeriod::Week => 6,
        // Every month has a 28th.
        QuotaPeriod::Month => 27,
    }
}

pub fn period_name(period: QuotaPeriod) -> &'static str {
    match period {
        QuotaPeriod::Day => "day",
        QuotaPeriod::Week => "week",
        QuotaPeriod::Month => "month",
    }
}

impl Quota {
    /// The start and the end (Unix seconds, end excluded) of the period that
    /// holds `unix`.
    pub fn period_at(&self, unix: i64) -> (i64, i64) {
        let offset = i64::from(self.offset);
        match self.period {
            QuotaPeriod::Day => {
                let shift = offset * 3600;
                let start = (unix - shift).div_euclid(DAY) * DAY + shift;
                (start, start + DAY)
            }
            QuotaPeriod::Week => {
                let day = unix.div_euclid(DAY);
                // 1970-01-01 was a Thursday: day 0 is 4 days after a Sunday.
                let since_start = (day + 4 - offset).rem_euclid(7);
                let start = (day - since_start) * DAY;
                (start, start + 7 * DAY)
            }
            QuotaPeriod::Month => {
                let date = OffsetDateTime::from_unix_timestamp(unix)
                    .map(|t| t.date())
                    .unwrap_or(Date::MIN);
                let (mut year, mut month) = (date.year(), date.month());
                if i64::from(date.day()) - 1 < offset {
                    (year, month) = previous(year, month);
                }
                let start = month_start(year, month, self.offset);
                let (next_year, next_month) = next(year, month);
                (start, month_start(next_year, next_month, self.offset))
            }
        }
    }
}

fn month_start(year: i32, month: Month, offset: u32) -> i64 {
    // `offset` is at most 27, so the day exists in every month.
    Date::from_calendar_date(year, month, 1 + offset as u8)
        .map(|d| d.midnight().assume_utc().unix_timestamp())
        .unwrap_or(0)
}

fn previous(year: i32, month: Month) -> (i32, Month) {
    match month {
        Month::January => (year - 1, Month::December),
        m => (year, m.previous()),
    }
}

fn next(year: i32, month: Month) -> (i32, Month) {
    match month {
        Month::December => (year + 1, Month::January),
        m => (year, m.next()),
    }
}

/// Seconds since the epoch, now.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Unix seconds as RFC 3339, for the usage report.
pub fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    use time::macros::datetime;

    fn period(period: QuotaPeriod, offset: u32, now: OffsetDateTime) -> (String, String) {
        let quota = Quota {
            limit: 1,
            period,
            offset,
        };
        let (start, end) = quota.period_at(now.unix_timestamp());
        (rfc3339(start), rfc3339(end))
    }

    fn pair(a: &str, b: &str) -> (String, String) {
        (a.to_string(), b.to_string())
    }

    #[test]
    fn days_start_at_midnight_utc_or_offset_hours_later() {
        assert_eq!(
            period(QuotaPeriod::Day, 0, datetime!(2026-11-29 17:30:00 UTC)),
            pair("2026-11-29T00:00:00Z", "2026-11-30T00:00:00Z")
        );
        assert_eq!(
            period(QuotaPeriod::Day, 6, datetime!(2026-11-29 05:59:59 UTC)),
            pair("2026-11-28T06:00:00Z", "2026-11-29T06:00:00Z")
        );
    }

    #[test]
    fn weeks_start_on_sunday_or_offset_days_later() {
        // 2026-11-29 is a Sunday.
        assert_eq!(
            period(QuotaPeriod::Week, 0, datetime!(2026-12-02 12:00:00 UTC)),
            pair("2026-11-29T00:00:00Z", "2026-12-06T00:00:00Z")
        );
        assert_eq!(
            period(QuotaPeriod::Week, 1, datetime!(2026-11-29 12:00:00 UTC)),
            pair("2026-11-23T00:00:00Z", "2026-11-30T00:00:00Z"),
            "weeks from Monday: Sunday is the week's last day"
        );
    }

    #[test]
    fn months_start_on_the_first_or_offset_days_later() {
        assert_eq!(
            period(QuotaPeriod::Month, 0, datetime!(2026-12-31 23:59:59 UTC)),
            pair("2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z")
        );
        assert_eq!(
            period(QuotaPeriod::Month, 14, datetime!(2027-01-03 00:00:00 UTC)),
            pair("2026-12-15T00:00:00Z", "2027-01-15T00:00:00Z")
        );
        assert_eq!(
            period(QuotaPeriod::Month, 27, datetime!(2027-02-28 00:00:00 UTC)),
            pair("2027-02-28T00:00:00Z", "2027-03-28T00:00:00Z")
        );
    }
}
