//! Times for people: the journal's UTC instants shown in the operator's local time zone (`TZ`,
//! else the system's; JST for most of this tool's users). The journal itself stays UTC.

/// `2025-01-02T03:04:05.678Z` → `2025-01-02 12:04:05 JST`; anything unparsable as it was.
pub fn local(ts: &str) -> String {
    let Ok(instant) = ts.parse::<jiff::Timestamp>() else {
        return ts.to_string();
    };
    let zoned = instant.to_zoned_datetime(jiff::tz::TimeZone::system());
    zoned.strftime("%Y-%m-%d %H:%M:%S %Z").to_string()
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
}
