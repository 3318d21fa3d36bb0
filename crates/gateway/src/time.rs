//! Time formats API Gateway uses in `$context`.

use std::time::SystemTime;

use time::OffsetDateTime;
use time::macros::format_description;

/// Common Log Format time, `21/Nov/2026:23:32:31 +0000`, as `$context.requestTime`.
pub fn clf(at: SystemTime) -> String {
    let format = format_description!(
        "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
    );
    OffsetDateTime::from(at).format(&format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn formats_clf() {
        let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(clf(at), "14/Nov/2023:22:13:20 +0000");
    }
}
