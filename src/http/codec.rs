//! The text forms of the HTTP layer (a URL's host, `Retry-After`): pure functions, apart from
//! the client, so that providers and the tests use them without a network.

use std::time::Duration;

/// `scheme://host[:port]` of a URL, for messages that must not repeat its query (tokens).
pub fn host_of(url: &str) -> &str {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    let end = url[after_scheme..].find(['/', '?', '#']).map(|i| after_scheme + i).unwrap_or(url.len());
    let start = url[after_scheme..end].rfind('@').map(|i| after_scheme + i + 1).unwrap_or(after_scheme);
    &url[start..end]
}

/// A `Retry-After` value read at Unix time `now`: digits saturate at `u64::MAX` seconds, a date
/// in the past is no wait, anything else is ignored.
pub fn retry_after_at(value: &str, now: u64) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let secs = value.bytes().fold(0u64, |n, d| n.saturating_mul(10).saturating_add(u64::from(d - b'0')));
        return Some(Duration::from_secs(secs));
    }
    http_date(value).map(|at| Duration::from_secs(at.saturating_sub(now)))
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, the form RFC 9110 servers must send) as Unix
/// time, saturating for dates too far ahead to count.
fn http_date(value: &str) -> Option<u64> {
    let mut parts = value.split_whitespace();
    let (_weekday, day, month, year, time, zone) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if zone != "GMT" || parts.next().is_some() {
        return None;
    }
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| *m == month)? as u64 + 1;
    let number = |t: &str| -> Option<u64> {
        (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.bytes().fold(0u64, |n, d| n.saturating_mul(10).saturating_add(u64::from(d - b'0'))))
    };
    let (day, year) = (number(day)?, number(year)?);
    let mut hms = time.split(':').map(number);
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if !(1..=31).contains(&day) || year < 1970 || h > 23 || m > 59 || s > 60 || hms.next().is_some() {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm), with March as the first month.
    let y = if month <= 2 { year - 1 } else { year };
    let (era, yoe) = (y / 400, y % 400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era.saturating_mul(146_097).saturating_add(doe).checked_sub(719_468)?;
    Some(days.saturating_mul(86_400).saturating_add(h * 3600 + m * 60 + s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_of_strips_userinfo_path_and_query() {
        assert_eq!(host_of("https://u:p@members.3322.net/dyndns/update?x=1"), "members.3322.net");
        assert_eq!(host_of("https://127.0.0.1:8443?token=abc"), "127.0.0.1:8443");
        assert_eq!(host_of("example.org"), "example.org");
    }

    #[test]
    fn retry_after_saturates_and_reads_dates() {
        let huge = retry_after_at("18446744073709551615", 0).unwrap();
        assert_eq!(huge, Duration::from_secs(u64::MAX));
        assert_eq!(retry_after_at("99999999999999999999999999", 0), Some(Duration::from_secs(u64::MAX)));
        // RFC 9110's example date, read 37 s before it.
        assert_eq!(retry_after_at("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_740), Some(Duration::from_secs(37)));
        assert_eq!(retry_after_at("Sun, 06 Nov 1994 08:49:37 GMT", 2_000_000_000), Some(Duration::ZERO), "past");
        assert_eq!(retry_after_at("Fri, 31 Dec 9999 23:59:59 GMT", 0), Some(Duration::from_secs(253_402_300_799)));
        let far = retry_after_at("Mon, 01 Jan 18446744073709551615 00:00:00 GMT", 0).unwrap();
        assert!(far.as_secs() > 1 << 60, "a date beyond counting saturates: {far:?}");
        for junk in ["", "-5", "1.5", "soon", "Sun, 06 Nov 1994 25:00:00 GMT", "Sun, 32 Nov 1994 08:49:37 GMT"] {
            assert_eq!(retry_after_at(junk, 0), None, "{junk}");
        }
    }
}
