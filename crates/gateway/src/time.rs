//! Time formats API Gateway uses in `$context`.

use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use time::macros::format_description;

/// Common Log Format time, `21/Nov/2026:23:32:31 +0000`, as `$context.requestTime`.
pub fn clf(at: SystemTime) -> String {
    thread_local! {
        // The text changes once a second; formatting it per request would not.
        static LAST: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    let second = at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != second {
            *last = (second, format_clf(at));
        }
        last.1.clone()
    })
}

fn format_clf(at: SystemTime) -> String {
    let format = format_description!(
        "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
    );
    OffsetDateTime::from(at).format(&format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_clf() {
        let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(clf(at), "14/Nov/2023:22:13:20 +0000");
        assert_eq!(
            clf(at + Duration::from_millis(500)),
            "14/Nov/2023:22:13:20 +0000"
        );
        assert_eq!(
            clf(at + Duration::from_secs(1)),
            "14/Nov/2023:22:13:21 +0000"
        );
    }
}
