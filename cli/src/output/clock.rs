//! Times for people: the journal's UTC instants shown in the operator's local time zone (`TZ`,
//! else the system's; JST for most of this tool's users), in UTC, and durations. The journal
//! itself stays UTC.

/// `2025-01-02T03:04:05.678Z` → `2025-01-02 12:04:05 JST`; anything unparsable as it was.
pub fn local(ts: &str) -> String {
    let Ok(instant) = ts.parse::<jiff::Timestamp>() else {
        return ts.to_string();
    };
    let zoned = instant.to_zoned_datetime(jiff::tz::TimeZone::system());
    zoned.strftime("%Y-%m-%d %H:%M:%S %Z").to_string()
}

/// The instant a journal line carries.
pub fn parse(ts: &str) -> Option<jiff::Timestamp> {
    ts.parse().ok()
}

/// Milliseconds since the epoch, with the journal's sub-millisecond precision kept.
pub fn millis(ts: &str) -> Option<f64> {
    parse(ts).map(|t| t.as_nanosecond() as f64 / 1e6)
}

/// `2026-11-30 10:31:40 JST (+09:00)`: in the system's time zone, with its offset (the
/// evidence page, which may be read far from where it was made).
pub fn local_with_offset(ts: &str) -> String {
    match parse(ts) {
        Some(t) => t
            .to_zoned_datetime(jiff::tz::TimeZone::system())
            .strftime("%Y-%m-%d %H:%M:%S %Z (%:z)")
            .to_string(),
        None => ts.to_string(),
    }
}

/// `2026-11-30 01:31:40 UTC`.
pub fn utc(ts: &str) -> String {
    match parse(ts) {
        Some(t) => t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
        None => ts.to_string(),
    }
}

/// A duration for people: `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`.
pub fn span(ms: f64) -> String {
    let ms = ms.max(0.0);
    if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else if ms < 60_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else if ms < 3_600_000.0 {
        let s = (ms / 1000.0).round() as u64;
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        let m = (ms / 60_000.0).round() as u64;
        format!("{} h {:02} min", m / 60, m % 60)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_instants_in_a_named_zone() {
        let instant: jiff::Timestamp = "2025-01-02T03:04:05.678Z".parse().unwrap();
        let tokyo = jiff::tz::TimeZone::get("Asia/Tokyo").unwrap();
        let shown = instant
            .to_zoned_datetime(tokyo)
            .strftime("%Y-%m-%d %H:%M:%S %Z")
            .to_string();
        assert_eq!(shown, "2025-01-02 12:04:05 JST");
        assert_eq!(super::local("not a time"), "not a time");
    }

    #[test]
    fn journal_times_read_and_print() {
        use super::*;
        let ts = "2026-11-30T01:31:40.564190435Z";
        assert_eq!(utc(ts), "2026-11-30 01:31:40 UTC");
        assert!((millis("1970-01-01T00:00:01.5Z").unwrap() - 1500.0).abs() < 1e-9);
        assert_eq!(local_with_offset("not a time"), "not a time");
        assert_eq!(span(850.0), "850 ms");
        assert_eq!(span(12_345.0), "12.3 s");
        assert_eq!(span(245_000.0), "4 min 05 s");
        assert_eq!(span(7_380_000.0), "2 h 03 min");
    }
}
