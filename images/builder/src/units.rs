//! Durations, sizes and CPU shares as manifests write them and summaries
//! print them, and the fix for a duration or size written wrong.

/// Utilisation 1.0, the whole CPU, in parts per billion (as the kernel's
/// Atropos scheduler counts it).
pub const PPB_ONE: u64 = 1_000_000_000;

/// Why a duration or size was not understood, and what to write instead
/// when that is known: the builder's messages and the simulator's options
/// give the same advice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitError {
    /// What is wrong (`"10 ms" is not a duration: ...`).
    pub reason: String,
    /// What to write instead (`write "10ms"`), if known.
    pub help: Option<String>,
}

impl std::fmt::Display for UnitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)?;
        match &self.help {
            Some(help) => write!(f, "; help: {help}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for UnitError {}

/// A kind of value manifests write as an integer and a unit, nothing
/// between (`"10ms"`, `"64KiB"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    /// A duration, in nanoseconds.
    Duration,
    /// A size, in bytes.
    Size,
}

/// The units of durations, smallest first, with their scale.
const DURATION_UNITS: [(&str, u64); 4] =
    [("ns", 1), ("us", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000)];

/// The units of sizes, smallest first, with their scale.
const SIZE_UNITS: [(&str, u64); 4] =
    [("B", 1), ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30)];

/// Decimal units people write for sizes, which could mean either 1000 or
/// 1024 (`"64KB"`): refused, with the binary unit suggested.
const AMBIGUOUS_SIZE_UNITS: [&str; 6] = ["K", "KB", "M", "MB", "G", "GB"];

/// Splits `text` into its leading ASCII digits and the rest.
fn split_number(text: &str) -> (&str, &str) {
    let digits_end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    text.split_at(digits_end)
}

impl Quantity {
    /// How messages name it.
    fn noun(self) -> &'static str {
        match self {
            Quantity::Duration => "duration",
            Quantity::Size => "size",
        }
    }

    /// Its units, smallest first.
    fn units(self) -> &'static [(&'static str, u64)] {
        match self {
            Quantity::Duration => &DURATION_UNITS,
            Quantity::Size => &SIZE_UNITS,
        }
    }

    /// The scale of `unit`, if it is one of its units.
    fn scale(self, unit: &str) -> Option<u64> {
        self.units().iter().find(|(name, _)| *name == unit).map(|&(_, scale)| scale)
    }

    /// `value` in the largest unit that keeps it an integer (zero in the
    /// smallest).
    pub fn format(self, value: u64) -> String {
        let units = self.units();
        let (unit, scale) = units
            .iter()
            .rev()
            .find(|(_, scale)| value != 0 && value.is_multiple_of(*scale))
            .unwrap_or(&units[0]);
        format!("{}{unit}", value / scale)
    }

    /// What to write instead of the bare number `digits`: it with each
    /// unit, for the reader to say which is meant (`"10ns"`, ..., `"10s"`).
    pub fn which_unit(self, digits: &str) -> String {
        let choices: Vec<String> =
            self.units().iter().map(|(unit, _)| format!("\"{digits}{unit}\"")).collect();
        let (last, first) = choices.split_last().expect("every quantity has units");
        format!("say which unit is meant: {} or {last}", first.join(", "))
    }

    /// The accepted forms, for a problem with no specific fix.
    fn forms(self) -> String {
        let units: Vec<&str> = self.units().iter().map(|(unit, _)| *unit).collect();
        let examples = match self {
            Quantity::Duration => "\"10ms\", \"250us\", \"1s\"",
            Quantity::Size => "\"64KiB\", \"1MiB\"",
        };
        format!(
            "write an integer followed by one of the units {}, nothing between (e.g. {examples})",
            units.join(", ")
        )
    }

    /// Parses `text`: an integer and one of the units, nothing between.
    /// Returns the value in the smallest unit (ns, B), or why it is not
    /// one and, where a fix is known, the fix.
    pub fn parse(self, text: &str) -> Result<u64, UnitError> {
        let (digits, unit) = split_number(text);
        let Some(scale) = self.scale(unit).filter(|_| !digits.is_empty()) else {
            return Err(self.diagnose(text));
        };
        digits.parse::<u64>().ok().and_then(|value| value.checked_mul(scale)).ok_or_else(|| {
            let reason = match self {
                Quantity::Duration => {
                    format!("{text:?} is too long: durations must fit in 2^64 ns (about 584 years)")
                }
                Quantity::Size => format!("{text:?} is too large: sizes must fit in 2^64 bytes"),
            };
            UnitError { reason, help: None }
        })
    }

    /// Why `text` is not a value of this kind, and the fix if one is known.
    fn diagnose(self, text: &str) -> UnitError {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let (why, help) = if compact != text && self.parse(&compact).is_ok() {
            (
                "nothing may come between the number and its unit".to_string(),
                format!("write {compact:?}"),
            )
        } else {
            self.explain(&compact)
        };
        UnitError { reason: format!("{text:?} is not a {}: {why}", self.noun()), help: Some(help) }
    }

    /// What is wrong with `text` (which has no spaces), and what to do.
    fn explain(self, text: &str) -> (String, String) {
        let noun = self.noun();
        let (digits, rest) = split_number(text);
        if digits.is_empty() {
            let why =
                if text.is_empty() { "it is empty" } else { "it does not start with an integer" };
            return (why.to_string(), self.forms());
        }
        if rest.is_empty() {
            return ("it has no unit".to_string(), self.which_unit(digits));
        }
        if let Some(after_point) = rest.strip_prefix('.') {
            let (fraction, unit) = split_number(after_point);
            if let Some(scale) = self.scale(unit).filter(|_| !fraction.is_empty()) {
                return match exact_value(digits, fraction, scale) {
                    Some(value) => {
                        (format!("{noun}s are integers"), format!("write {:?}", self.format(value)))
                    }
                    None => (
                        format!(
                            "{noun}s are integers, and this is no whole number of {}",
                            self.units()[0].0
                        ),
                        self.forms(),
                    ),
                };
            }
        }
        let unit = rest;
        let canonical = self.units().iter().find(|(name, _)| name.eq_ignore_ascii_case(unit));
        if let Some((canonical, _)) = canonical {
            return (
                format!("units are case-sensitive: {unit} is written {canonical}"),
                format!("write \"{digits}{canonical}\""),
            );
        }
        let upper = unit.to_ascii_uppercase();
        if self == Quantity::Size && AMBIGUOUS_SIZE_UNITS.contains(&upper.as_str()) {
            return (
                format!("{unit} is ambiguous (sizes use the binary units B, KiB, MiB, GiB)"),
                format!("write \"{digits}{}iB\"", &upper[..1]),
            );
        }
        (format!("{unit:?} is not a unit of {noun}s"), self.forms())
    }
}

/// `whole.fraction` units of `scale`, if that is a whole number of the
/// smallest unit and fits in a `u64`.
fn exact_value(whole: &str, fraction: &str, scale: u64) -> Option<u64> {
    let scale = u128::from(scale);
    let denominator = 10u128.checked_pow(u32::try_from(fraction.len()).ok()?)?;
    let numerator = fraction.parse::<u128>().ok()?.checked_mul(scale)?;
    if numerator % denominator != 0 {
        return None;
    }
    let value = whole.parse::<u128>().ok()?.checked_mul(scale)?;
    u64::try_from(value.checked_add(numerator / denominator)?).ok()
}

/// Parses a duration such as `"10ms"`: an integer and a unit (`ns`, `us`,
/// `ms` or `s`), with nothing in between. Returns nanoseconds, or why not
/// (see [`Quantity::parse`]).
pub fn parse_duration(text: &str) -> Result<u64, UnitError> {
    Quantity::Duration.parse(text)
}

/// Writes `ns` in the largest unit that divides it exactly: `10ms`,
/// `250us`, `1s`, `7ns`.
pub fn format_duration(ns: u64) -> String {
    Quantity::Duration.format(ns)
}

/// Parses a size such as `"64KiB"`: an integer and a binary unit (`B`,
/// `KiB`, `MiB` or `GiB`), with nothing in between. Returns bytes, or why
/// not (see [`Quantity::parse`]).
pub fn parse_size(text: &str) -> Result<u64, UnitError> {
    Quantity::Size.parse(text)
}

/// Writes `bytes` in the largest binary unit that divides it exactly:
/// `64KiB`, `2MiB`, `100B`, `0B`.
pub fn format_size(bytes: u64) -> String {
    Quantity::Size.format(bytes)
}

/// `slice / period` in parts per billion, rounded up (`slice <= period`;
/// 0 for a period of 0, a group member's): the kernel's admission control
/// rounds the same way, so an image this builder accepts is never refused
/// at boot.
pub fn share_ppb(slice_ns: u64, period_ns: u64) -> u64 {
    if period_ns == 0 {
        // A group member's: it holds no reservation.
        return 0;
    }
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

    /// The message and help for `text`, as [`UnitError`] shows them.
    fn refused(quantity: Quantity, text: &str) -> String {
        quantity.parse(text).unwrap_err().to_string()
    }

    #[test]
    fn bad_durations_say_what_to_write() {
        let cases = [
            (
                "10",
                r#""10" is not a duration: it has no unit; help: say which unit is meant: "10ns", "10us", "10ms" or "10s""#,
            ),
            (
                "10 ms",
                r#""10 ms" is not a duration: nothing may come between the number and its unit; help: write "10ms""#,
            ),
            (
                " 10ms",
                r#"" 10ms" is not a duration: nothing may come between the number and its unit; help: write "10ms""#,
            ),
            ("1.5ms", r#""1.5ms" is not a duration: durations are integers; help: write "1500us""#),
            (
                "1.5 ms",
                r#""1.5 ms" is not a duration: durations are integers; help: write "1500us""#,
            ),
            ("2.0s", r#""2.0s" is not a duration: durations are integers; help: write "2s""#),
            (
                "0.5ns",
                r#""0.5ns" is not a duration: durations are integers, and this is no whole number of ns; help: write an integer followed by one of the units ns, us, ms, s"#,
            ),
            (
                "10MS",
                r#""10MS" is not a duration: units are case-sensitive: MS is written ms; help: write "10ms""#,
            ),
            (
                "10m",
                r#""10m" is not a duration: "m" is not a unit of durations; help: write an integer followed by one of the units ns, us, ms, s, nothing between (e.g. "10ms", "250us", "1s")"#,
            ),
            (
                "ms",
                r#""ms" is not a duration: it does not start with an integer; help: write an integer"#,
            ),
            ("-1ms", "it does not start with an integer"),
            ("", r#""" is not a duration: it is empty"#),
            ("1ms2", r#""1ms2" is not a duration: "ms2" is not a unit of durations"#),
        ];
        for (text, expected) in cases {
            let err = refused(Quantity::Duration, text);
            assert!(err.starts_with(expected) || err.contains(expected), "{text:?}: {err}");
        }
        assert!(parse_duration("99999999999s").unwrap_err().reason.contains("too long"));
        assert!(parse_duration("99999999999999999999ns").unwrap_err().reason.contains("too long"));
        // A fraction whose exact value does not fit is not offered.
        let err = parse_duration("99999999999.5s").unwrap_err();
        assert!(err.reason.contains("no whole number of ns"), "{err}");
        for digits in [38, 60] {
            let err = parse_duration(&format!("1.{}s", "9".repeat(digits))).unwrap_err();
            assert!(err.reason.contains("no whole number of ns"), "{err}");
        }
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
    fn bad_sizes_say_what_to_write() {
        let cases = [
            (
                "64",
                r#""64" is not a size: it has no unit; help: say which unit is meant: "64B", "64KiB", "64MiB" or "64GiB""#,
            ),
            (
                "64 KiB",
                r#""64 KiB" is not a size: nothing may come between the number and its unit; help: write "64KiB""#,
            ),
            ("1.5MiB", r#""1.5MiB" is not a size: sizes are integers; help: write "1536KiB""#),
            (
                "0.5B",
                "sizes are integers, and this is no whole number of B; help: write an integer",
            ),
            ("64kib", r#"units are case-sensitive: kib is written KiB; help: write "64KiB""#),
            (
                "64KB",
                r#""64KB" is not a size: KB is ambiguous (sizes use the binary units B, KiB, MiB, GiB); help: write "64KiB""#,
            ),
            (
                "2M",
                r#"M is ambiguous (sizes use the binary units B, KiB, MiB, GiB); help: write "2MiB""#,
            ),
            (
                "1gb",
                r#"gb is ambiguous (sizes use the binary units B, KiB, MiB, GiB); help: write "1GiB""#,
            ),
            (
                "64Ki",
                r#""Ki" is not a unit of sizes; help: write an integer followed by one of the units B, KiB, MiB, GiB, nothing between (e.g. "64KiB", "1MiB")"#,
            ),
            ("KiB", "it does not start with an integer"),
        ];
        for (text, expected) in cases {
            let err = refused(Quantity::Size, text);
            assert!(err.contains(expected), "{text:?}: {err}");
        }
        assert!(parse_size("99999999999999GiB").unwrap_err().reason.contains("too large"));
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
