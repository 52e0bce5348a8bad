//! Durations, sizes and CPU shares as manifests write them and summaries
//! print them.

/// Utilisation 1.0, the whole CPU, in parts per billion (as the kernel's
/// Atropos scheduler counts it).
pub const PPB_ONE: u64 = 1_000_000_000;

/// The accepted forms of a duration, for error messages.
const DURATION_FORMS: &str =
    "an integer followed by one of the units ns, us, ms, s (e.g. \"10ms\", \"250us\", \"1s\")";

/// The accepted forms of a size, for error messages.
const SIZE_FORMS: &str =
    "an integer followed by one of the units B, KiB, MiB, GiB (e.g. \"64KiB\", \"1MiB\")";

/// Splits `text` into its leading ASCII digits and the rest.
fn split_number(text: &str) -> (&str, &str) {
    let digits_end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    text.split_at(digits_end)
}

/// Parses a duration such as `"10ms"`: an integer and a unit (`ns`, `us`,
/// `ms` or `s`), with nothing in between. Returns nanoseconds, or a message
/// naming the accepted forms.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let (digits, unit) = split_number(text);
    let scale: u64 = match unit {
        "ns" => 1,
        "us" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        _ => return Err(format!("{text:?} is not a duration: write {DURATION_FORMS}")),
    };
    if digits.is_empty() {
        return Err(format!("{text:?} is not a duration: write {DURATION_FORMS}"));
    }
    digits.parse::<u64>().ok().and_then(|value| value.checked_mul(scale)).ok_or_else(|| {
        format!("{text:?} is too long: durations must fit in 2^64 ns (about 584 years)")
    })
}

/// Writes `ns` in the largest unit that divides it exactly: `10ms`,
/// `250us`, `1s`, `7ns`.
pub fn format_duration(ns: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1_000_000_000, "s"), (1_000_000, "ms"), (1_000, "us")];
    for (scale, unit) in UNITS {
        if ns != 0 && ns.is_multiple_of(scale) {
            return format!("{}{unit}", ns / scale);
        }
    }
    format!("{ns}ns")
}

/// Parses a size such as `"64KiB"`: an integer and a binary unit (`B`,
/// `KiB`, `MiB` or `GiB`), with nothing in between. Returns bytes, or a
/// message naming the accepted forms.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let (digits, unit) = split_number(text);
    let scale: u64 = match unit {
        "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "K" | "KB" | "k" | "kB" | "M" | "MB" | "G" | "GB" => {
            let binary = format!("{}iB", &unit[..1].to_uppercase());
            return Err(format!(
                "{text:?} is not a size: write {digits}{binary} ({unit} is ambiguous; sizes use \
                 the binary units B, KiB, MiB, GiB)"
            ));
        }
        _ => return Err(format!("{text:?} is not a size: write {SIZE_FORMS}")),
    };
    if digits.is_empty() {
        return Err(format!("{text:?} is not a size: write {SIZE_FORMS}"));
    }
    digits
        .parse::<u64>()
        .ok()
        .and_then(|value| value.checked_mul(scale))
        .ok_or_else(|| format!("{text:?} is too large: sizes must fit in 2^64 bytes"))
}

/// Writes `bytes` in the largest binary unit that divides it exactly:
/// `64KiB`, `2MiB`, `100B`, `0B`.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (scale, unit) in UNITS {
        if bytes != 0 && bytes.is_multiple_of(scale) {
            return format!("{}{unit}", bytes / scale);
        }
    }
    format!("{bytes}B")
}

/// `slice / period` in parts per billion, rounded up (`period` non-zero,
/// `slice <= period`): the kernel's admission control rounds the same way,
/// so an image this builder accepts is never refused at boot.
pub fn share_ppb(slice_ns: u64, period_ns: u64) -> u64 {
    let scaled = u128::from(slice_ns) * u128::from(PPB_ONE);
    // `slice <= period`, so the quotient is at most `PPB_ONE`.
    scaled.div_ceil(u128::from(period_ns)) as u64
}

/// Writes a utilisation given in parts per billion with `decimals` decimals,
/// or with all nine when fewer would hide that it exceeds 1 (three shares
/// of 1/3, rounded up, add up to 1.000000002).
pub fn format_share(ppb: u64, decimals: usize) -> String {
    let shown = format!("{:.decimals$}", ppb as f64 / PPB_ONE as f64);
    if ppb > PPB_ONE && shown.parse::<f64>().is_ok_and(|value| value <= 1.0) {
        format!("{}.{:09}", ppb / PPB_ONE, ppb % PPB_ONE)
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_every_unit() {
        assert_eq!(parse_duration("10ms"), Ok(10_000_000));
        assert_eq!(parse_duration("250us"), Ok(250_000));
        assert_eq!(parse_duration("1s"), Ok(1_000_000_000));
        assert_eq!(parse_duration("7ns"), Ok(7));
        assert_eq!(parse_duration("0ms"), Ok(0));
    }

    #[test]
    fn bad_durations_name_the_accepted_forms() {
        for text in ["10", "ms", "10 ms", "1.5ms", "-1ms", "10MS", "10m", "", "1ms2"] {
            let err = parse_duration(text).unwrap_err();
            assert!(err.contains("ns, us, ms, s"), "{text:?}: {err}");
        }
        assert!(parse_duration("99999999999s").unwrap_err().contains("too long"));
        assert!(parse_duration("99999999999999999999ns").unwrap_err().contains("too long"));
    }

    #[test]
    fn durations_format_in_the_largest_exact_unit() {
        assert_eq!(format_duration(10_000_000), "10ms");
        assert_eq!(format_duration(250_000), "250us");
        assert_eq!(format_duration(2_000_000_000), "2s");
        assert_eq!(format_duration(1_500_000), "1500us");
        assert_eq!(format_duration(7), "7ns");
        assert_eq!(format_duration(0), "0ns");
    }

    #[test]
    fn sizes_parse_in_every_unit() {
        assert_eq!(parse_size("100B"), Ok(100));
        assert_eq!(parse_size("64KiB"), Ok(64 * 1024));
        assert_eq!(parse_size("2MiB"), Ok(2 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("0KiB"), Ok(0));
    }

    #[test]
    fn bad_sizes_name_the_accepted_forms() {
        for text in ["64", "KiB", "64 KiB", "1.5MiB", "-1KiB", "64kib", "64Ki", ""] {
            let err = parse_size(text).unwrap_err();
            assert!(err.contains("B, KiB, MiB, GiB"), "{text:?}: {err}");
        }
        let err = parse_size("64KB").unwrap_err();
        assert!(err.contains("write 64KiB (KB is ambiguous"), "{err}");
        assert!(parse_size("2M").unwrap_err().contains("write 2MiB"));
        assert!(parse_size("99999999999999GiB").unwrap_err().contains("too large"));
    }

    #[test]
    fn sizes_format_in_the_largest_exact_unit() {
        assert_eq!(format_size(64 * 1024), "64KiB");
        assert_eq!(format_size(3 << 20), "3MiB");
        assert_eq!(format_size(1536 * 1024), "1536KiB");
        assert_eq!(format_size(100), "100B");
        assert_eq!(format_size(0), "0B");
        assert_eq!(format_size(1 << 30), "1GiB");
    }

    #[test]
    fn shares_round_up() {
        assert_eq!(share_ppb(1, 3), 333_333_334);
        assert_eq!(share_ppb(2, 10), 200_000_000);
        assert_eq!(share_ppb(5, 5), PPB_ONE);
    }

    #[test]
    fn shares_format_with_enough_decimals_to_show_an_overload() {
        assert_eq!(format_share(200_000_000, 2), "0.20");
        assert_eq!(format_share(1_100_000_000, 2), "1.10");
        assert_eq!(format_share(PPB_ONE, 2), "1.00");
        assert_eq!(format_share(1_000_000_002, 2), "1.000000002");
        assert_eq!(format_share(333_333_334, 3), "0.333");
    }
}
