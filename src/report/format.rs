//! Figures for people, shared by the `text` and `html` renderers: durations, shares, credit and
//! origin-reason labels. The model ([`super::Report`]) holds only machine values (seconds,
//! shares in 0..1, `Option<bool>`, enums); how a person reads them is decided here, so the two
//! renderers for people say the same thing the same way. Not used by the machine formats.

use crate::attribution::OriginReason;

/// A duration in seconds for people: `45s`, `12m`, `5h 3m`, `152d 4h`.
pub(super) fn human_delay(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let s = secs.unsigned_abs();
    let (d, h, m) = (s / 86_400, (s % 86_400) / 3_600, (s % 3_600) / 60);
    let body = if d > 0 {
        if h > 0 {
            format!("{d}d {h}h")
        } else {
            format!("{d}d")
        }
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m")
    } else {
        format!("{s}s")
    };
    format!("{sign}{body}")
}

/// A share for people: `0.5556` -> `56%`.
pub(super) fn percent(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

/// `credited` for people: `kept`, `stripped` or `-`.
pub(super) fn credit_label(c: Option<bool>) -> &'static str {
    match c {
        Some(true) => "kept",
        Some(false) => "stripped",
        None => "-",
    }
}

/// Why the origin was chosen, for people: `earliest published`, `wire site`, ...
pub(super) fn reason_label(r: OriginReason) -> &'static str {
    match r {
        OriginReason::EarliestPublished => "earliest published",
        OriginReason::WireSite => "wire site",
        OriginReason::ContainsOthers => "contains others",
        OriginReason::FirstListed => "first listed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_read_as_the_largest_two_units() {
        assert_eq!(human_delay(0), "0s");
        assert_eq!(human_delay(45), "45s");
        assert_eq!(human_delay(12 * 60 + 5), "12m");
        assert_eq!(human_delay(5 * 3600 + 180), "5h 3m");
        assert_eq!(human_delay(3 * 86_400), "3d");
        assert_eq!(human_delay(152 * 86_400 + 4 * 3600), "152d 4h");
        assert_eq!(human_delay(-120), "-2m");
        assert_eq!(human_delay(i64::MIN), "-106751991167300d 15h");
    }

    #[test]
    fn shares_and_labels() {
        assert_eq!(percent(0.5556), "56%");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(
            [Some(true), Some(false), None].map(credit_label),
            ["kept", "stripped", "-"]
        );
    }

    #[test]
    fn reason_labels_are_the_machine_spelling_with_spaces() {
        for r in [
            OriginReason::EarliestPublished,
            OriginReason::WireSite,
            OriginReason::ContainsOthers,
            OriginReason::FirstListed,
        ] {
            assert_eq!(reason_label(r), r.as_str().replace('_', " "));
        }
    }
}
