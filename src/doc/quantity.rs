//! Kubernetes resource quantities (`k8s.io/apimachinery/pkg/api/resource.Quantity`): parsed,
//! compared, combined and printed the way the API server does it.
//!
//! A value is held exactly as a count of nano units in an `i128`. Kubernetes keeps arbitrary
//! precision but rounds every parsed value up to a whole nano, so nothing it keeps is lost here;
//! the one difference is range: magnitudes past about 1.7e29 are rejected instead of carried.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

const NANOS: i128 = 1_000_000_000;
/// Kubernetes silently caps a parsed BinarySI quantity at 2^63-1 (so `8Ei` reads as 2^63-1).
const BINARY_CAP: u128 = i64::MAX as u128 * NANOS as u128;
const DECIMAL_SUFFIXES: [(i32, &str); 10] = [
    (-9, "n"),
    (-6, "u"),
    (-3, "m"),
    (0, ""),
    (3, "k"),
    (6, "M"),
    (9, "G"),
    (12, "T"),
    (15, "P"),
    (18, "E"),
];
const BINARY_SUFFIXES: [&str; 7] = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
const EXAMPLES: &str = "like 500m, 1.5Gi or 2e3";

/// How a quantity is written, remembered from the suffix it was parsed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// `12e6`
    DecimalExponent,
    /// `12Mi`
    BinarySI,
    /// `12M`
    DecimalSI,
}

impl Format {
    /// The name Kubernetes uses for the format.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::DecimalExponent => "DecimalExponent",
            Format::BinarySI => "BinarySI",
            Format::DecimalSI => "DecimalSI",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A power of ten, as Kubernetes' `resource.Scale`: the value 1 at scale `s` is `10^s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scale(pub i32);

impl Scale {
    pub const NANO: Scale = Scale(-9);
    pub const MICRO: Scale = Scale(-6);
    pub const MILLI: Scale = Scale(-3);
    pub const ONE: Scale = Scale(0);
    pub const KILO: Scale = Scale(3);
    pub const MEGA: Scale = Scale(6);
    pub const GIGA: Scale = Scale(9);
    pub const TERA: Scale = Scale(12);
    pub const PETA: Scale = Scale(15);
    pub const EXA: Scale = Scale(18);
}

/// A Kubernetes resource quantity. Equality, ordering and hashing look at the value only, so
/// `1000m == 1` even though the two print differently.
#[derive(Clone, Copy, Debug)]
pub struct Quantity {
    nanos: i128,
    format: Format,
}

impl Quantity {
    pub const ZERO: Quantity = Quantity {
        nanos: 0,
        format: Format::DecimalSI,
    };

    /// `resource.ParseQuantity`: `<sign><digits>.<digits><suffix>`, no surrounding whitespace.
    /// Accepts exactly what Kubernetes accepts, oddities included (`.`, `-` and a bare `Ki`
    /// all read as zero), except values too large to hold exactly, which are an error.
    pub fn parse(text: &str) -> Result<Quantity, QuantityError> {
        parse_quantity(text).map(|parsed| parsed.quantity)
    }

    /// What Kubernetes prints after parsing `text`: usually the canonical form, but when its
    /// parser's fast path sees an input it considers canonical it keeps the text as written,
    /// so `1.500`, `+1` and `1E3` survive a round trip through the API server unchanged.
    pub fn kubernetes_string(text: &str) -> Result<String, QuantityError> {
        let parsed = parse_quantity(text)?;
        Ok(if parsed.keeps_text {
            text.to_string()
        } else {
            parsed.quantity.to_string()
        })
    }

    /// A quoted string value in a manifest. The API server's JSON decoder trims surrounding
    /// whitespace before parsing, so `" 1Gi "` is accepted.
    pub fn from_string_value(text: &str) -> Result<Quantity, QuantityError> {
        Quantity::parse(text.trim())
    }

    /// An unquoted YAML scalar, read the way `kubectl` sends it: YAML integers (`2`, `0x10`,
    /// `1_000`, octal `010`) are exact, YAML floats (`0.5`, `1e3`) travel as a float64 printed
    /// by Go's JSON encoder (so `1e3` arrives as `1000` and prints as `1k`), and anything else
    /// is a string quantity.
    pub fn from_yaml_scalar(text: &str) -> Result<Quantity, QuantityError> {
        let text = text.trim();
        let plain: String = text.chars().filter(|&c| c != '_').collect();
        if let Some(value) = crate::scalar::go_int(&plain) {
            return Ok(Quantity {
                nanos: value * NANOS,
                format: Format::DecimalSI,
            });
        }
        if crate::scalar::is_yaml_float(&plain)
            && let Ok(value) = plain.parse::<f64>()
            && value.is_finite()
        {
            return Quantity::from_f64(value);
        }
        Quantity::parse(text)
    }

    /// A JSON number as Go's encoder writes a float64: shortest round-trip digits, in exponent
    /// form below 1e-6 and from 1e21 up.
    pub fn from_f64(value: f64) -> Result<Quantity, QuantityError> {
        if !value.is_finite() {
            return Err(QuantityError {
                input: value.to_string(),
                kind: QuantityErrorKind::NotFinite,
            });
        }
        let abs = value.abs();
        let text = if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
            format!("{value:e}")
        } else {
            value.to_string()
        };
        Quantity::parse(&text)
    }

    pub fn from_i64(value: i64) -> Quantity {
        Quantity::new(value, Format::DecimalSI)
    }

    pub fn from_u64(value: u64) -> Quantity {
        Quantity {
            nanos: i128::from(value) * NANOS,
            format: Format::DecimalSI,
        }
    }

    /// `resource.NewQuantity`.
    pub fn new(value: i64, format: Format) -> Quantity {
        Quantity {
            nanos: i128::from(value) * NANOS,
            format,
        }
    }

    /// `resource.NewMilliQuantity`: `value / 1000`.
    pub fn new_milli(value: i64, format: Format) -> Quantity {
        Quantity {
            nanos: i128::from(value) * 1_000_000,
            format,
        }
    }

    /// `resource.NewScaledQuantity`: `value * 10^scale`, DecimalSI. `None` when the value has
    /// digits below a nano or does not fit.
    pub fn new_scaled(value: i64, scale: Scale) -> Option<Quantity> {
        let shift = i64::from(scale.0) + 9;
        let value = i128::from(value);
        let nanos = if shift >= 0 {
            value.checked_mul(10i128.checked_pow(u32::try_from(shift).ok()?)?)?
        } else {
            match 10i128.checked_pow(u32::try_from(-shift).ok()?) {
                _ if value == 0 => 0,
                Some(unit) if value % unit == 0 => value / unit,
                _ => return None,
            }
        };
        Some(Quantity {
            nanos,
            format: Format::DecimalSI,
        })
    }

    pub fn from_nanos(nanos: i128, format: Format) -> Quantity {
        Quantity { nanos, format }
    }

    /// The exact value in units of 10^-9.
    pub fn nanos(self) -> i128 {
        self.nanos
    }

    pub fn format(self) -> Format {
        self.format
    }

    pub fn with_format(self, format: Format) -> Quantity {
        Quantity { format, ..self }
    }

    pub fn is_zero(self) -> bool {
        self.nanos == 0
    }

    pub fn signum(self) -> i32 {
        self.nanos.signum() as i32
    }

    pub fn checked_neg(self) -> Option<Quantity> {
        Some(Quantity {
            nanos: self.nanos.checked_neg()?,
            ..self
        })
    }

    /// A zero receiver takes the other operand's format, as `Quantity.Add` does.
    pub fn checked_add(self, other: Quantity) -> Option<Quantity> {
        Some(Quantity {
            nanos: self.nanos.checked_add(other.nanos)?,
            format: self.inherited_format(other),
        })
    }

    /// A zero receiver takes the other operand's format, as `Quantity.Sub` does.
    pub fn checked_sub(self, other: Quantity) -> Option<Quantity> {
        Some(Quantity {
            nanos: self.nanos.checked_sub(other.nanos)?,
            format: self.inherited_format(other),
        })
    }

    /// `self * num / den`, rounded away from zero to a whole nano (Kubernetes' finest
    /// precision). Chain [`Quantity::round_up`] for a coarser one, e.g. `Scale::MILLI` for CPU.
    pub fn mul_ratio(self, num: i64, den: i64) -> Option<Quantity> {
        if den == 0 {
            return None;
        }
        let mut product = U192::mul(self.nanos.unsigned_abs(), num.unsigned_abs());
        let remainder = product.div_rem(den.unsigned_abs());
        let mut magnitude = product.to_u128()?;
        if remainder != 0 {
            magnitude = magnitude.checked_add(1)?;
        }
        let negative = (self.nanos < 0) ^ (num < 0) ^ (den < 0);
        Some(Quantity {
            nanos: signed(magnitude, negative)?,
            ..self
        })
    }

    /// `self * factor`, taking the factor as the decimal it prints as (`0.1` is one tenth, not
    /// the binary fraction nearest to it) and rounding away from zero to a whole nano. Chain
    /// [`Quantity::round_up`] for a coarser precision.
    pub fn mul_f64(self, factor: f64) -> Option<Quantity> {
        if !factor.is_finite() {
            return None;
        }
        let (digits, exp10) = decimal_parts(factor)?;
        let magnitude = mul_pow10_ceil(self.nanos.unsigned_abs(), digits, exp10)?;
        let negative = (self.nanos < 0) ^ factor.is_sign_negative();
        Some(Quantity {
            nanos: signed(magnitude, negative)?,
            ..self
        })
    }

    /// `Quantity.RoundUp`: the value rounded away from zero to a multiple of `10^scale`. The
    /// result equals `self` exactly when no precision was lost. `None` if it overflows.
    pub fn round_up(self, scale: Scale) -> Option<Quantity> {
        let shift = i64::from(scale.0) + 9;
        if shift <= 0 || self.nanos == 0 {
            return Some(self);
        }
        // 10^39 nanos is past the i128 range.
        if shift > 38 {
            return None;
        }
        let unit = 10i128.pow(shift as u32);
        let mut units = self.nanos / unit;
        if self.nanos % unit != 0 {
            units += self.nanos.signum();
        }
        Some(Quantity {
            nanos: units.checked_mul(unit)?,
            ..self
        })
    }

    /// `Quantity.ScaledValue`: the value in units of `10^scale`, rounded away from zero.
    /// `None` only when a scale finer than nano overflows.
    pub fn scaled_value(self, scale: Scale) -> Option<i128> {
        let shift = i64::from(scale.0) + 9;
        if shift >= 0 {
            return Some(div_away(self.nanos, shift as u32));
        }
        self.nanos
            .checked_mul(10i128.checked_pow(u32::try_from(-shift).ok()?)?)
    }

    /// `Quantity.Value`: whole units, rounded away from zero.
    pub fn as_value(self) -> i128 {
        div_away(self.nanos, 9)
    }

    /// `Quantity.MilliValue`: thousandths, rounded away from zero.
    pub fn as_milli(self) -> i128 {
        div_away(self.nanos, 6)
    }

    /// The nearest `f64` (correctly rounded, unlike Kubernetes' `AsApproximateFloat64`).
    pub fn as_f64(self) -> f64 {
        format!("{}e-9", self.nanos)
            .parse()
            .unwrap_or(self.nanos as f64 / 1e9)
    }

    fn inherited_format(self, other: Quantity) -> Format {
        if self.nanos == 0 {
            other.format
        } else {
            self.format
        }
    }
}

impl Default for Quantity {
    fn default() -> Quantity {
        Quantity::ZERO
    }
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Quantity) -> bool {
        self.nanos == other.nanos
    }
}

impl Eq for Quantity {}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Quantity) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Quantity) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

impl Hash for Quantity {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.nanos.hash(state);
    }
}

impl FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(text: &str) -> Result<Quantity, QuantityError> {
        Quantity::parse(text)
    }
}

/// The canonical form, as `Quantity.String()` computes it (`CanonicalizeBytes`).
impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nanos == 0 {
            return f.write_str("0");
        }
        let mut format = self.format;
        // Below 1024 a binary suffix buys nothing and a fraction cannot be written with one,
        // so Kubernetes switches those to DecimalSI.
        if format == Format::BinarySI
            && (self.nanos.unsigned_abs() < 1024 * NANOS as u128 || self.nanos % NANOS != 0)
        {
            format = Format::DecimalSI;
        }
        if format == Format::BinarySI {
            let mut value = self.nanos / NANOS;
            let mut power = 0;
            // Stops at Ei: Kubernetes would print 2^70 as "1", with the suffix missing.
            while power < BINARY_SUFFIXES.len() - 1 && value % 1024 == 0 {
                value /= 1024;
                power += 1;
            }
            return write!(f, "{value}{}", BINARY_SUFFIXES[power]);
        }
        let mut mantissa = self.nanos;
        let mut exponent: i32 = -9;
        while mantissa % 10 == 0 {
            mantissa /= 10;
            exponent += 1;
        }
        // Cannot overflow: every factor of ten put back was taken out just above.
        match exponent.rem_euclid(3) {
            1 => {
                mantissa *= 10;
                exponent -= 1;
            }
            2 => {
                mantissa *= 100;
                exponent -= 2;
            }
            _ => {}
        }
        let si = DECIMAL_SUFFIXES
            .iter()
            .find(|(e, _)| *e == exponent)
            .map(|(_, s)| *s);
        match (format, si) {
            (Format::DecimalSI, Some(suffix)) => write!(f, "{mantissa}{suffix}"),
            // Past E there is no SI suffix; Kubernetes falls back to an exponent.
            _ if exponent == 0 => write!(f, "{mantissa}"),
            _ => write!(f, "{mantissa}e{exponent}"),
        }
    }
}

/// Why a quantity was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum QuantityErrorKind {
    Empty,
    Whitespace,
    /// Not `<number><suffix>`; `offset` is the byte where the text stops fitting.
    Malformed {
        offset: usize,
    },
    UnknownSuffix(String),
    /// No digits, in a spot where Kubernetes' parser needs some (`Pi`, `.e-10`).
    NoDigits,
    /// Kubernetes would accept it, but the magnitude is beyond what is held exactly here.
    OutOfRange,
    NotFinite,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuantityError {
    input: String,
    kind: QuantityErrorKind,
}

impl QuantityError {
    pub fn input(&self) -> &str {
        &self.input
    }

    pub fn kind(&self) -> &QuantityErrorKind {
        &self.kind
    }
}

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == QuantityErrorKind::Empty {
            return write!(
                f,
                "empty quantity: expected a number with an optional suffix, {EXAMPLES}"
            );
        }
        write!(f, "invalid quantity {:?}: ", self.input)?;
        match &self.kind {
            QuantityErrorKind::Empty => Ok(()),
            QuantityErrorKind::Whitespace => f.write_str("quantities may not contain whitespace"),
            QuantityErrorKind::Malformed { offset } => {
                let found = self
                    .input
                    .get(*offset..)
                    .and_then(|rest| rest.chars().next());
                let found = found.unwrap_or(' ');
                write!(
                    f,
                    "unexpected {found:?} at offset {offset}; expected <number><suffix>, {EXAMPLES}"
                )?;
                if self.input.ends_with(['B', 'b']) {
                    return f.write_str(" (byte units take no B: write Gi or G, not GiB or GB)");
                }
                let number_end = self
                    .input
                    .rfind(|c: char| c.is_ascii_digit() || c == '.')
                    .map_or(0, |i| i + 1);
                write_suggestion(f, &self.input[number_end..])
            }
            QuantityErrorKind::UnknownSuffix(suffix) => {
                if let Some(exponent) = suffix.strip_prefix(['e', 'E']) {
                    let digits = exponent.trim_start_matches(['+', '-']);
                    if digits.is_empty() && exponent.len() <= 1 {
                        return f.write_str("an exponent needs digits, like 1e3");
                    }
                    if exponent.len() - digits.len() <= 1
                        && digits.bytes().all(|b| b.is_ascii_digit())
                    {
                        return write!(f, "exponent {exponent} does not fit 64 bits");
                    }
                }
                write!(
                    f,
                    "unknown suffix {suffix:?}; expected one of n u m k M G T P E, \
                     Ki Mi Gi Ti Pi Ei, or e<exponent>"
                )?;
                write_suggestion(f, suffix)
            }
            QuantityErrorKind::NoDigits => f.write_str("the number has no digits"),
            QuantityErrorKind::OutOfRange => f.write_str(
                "the magnitude is too large to hold exactly (the limit here is about 1.7e29)",
            ),
            QuantityErrorKind::NotFinite => f.write_str("not a finite number"),
        }
    }
}

impl std::error::Error for QuantityError {}

fn write_suggestion(f: &mut fmt::Formatter<'_>, suffix: &str) -> fmt::Result {
    if suffix == "K" {
        return f.write_str(" (did you mean \"k\" for 1000 or \"Ki\" for 1024?)");
    }
    let known = DECIMAL_SUFFIXES
        .iter()
        .map(|(_, s)| *s)
        .chain(BINARY_SUFFIXES)
        .filter(|s| !s.is_empty());
    for candidate in known {
        if candidate.eq_ignore_ascii_case(suffix) {
            return write!(f, " (did you mean {candidate:?}?)");
        }
    }
    Ok(())
}

struct Parsed {
    quantity: Quantity,
    /// Whether Kubernetes caches the input text as the quantity's string form.
    keeps_text: bool,
}

/// The pieces `parseQuantityString` splits a quantity into.
struct Scan<'a> {
    negative: bool,
    /// Integer digits without leading zeros; "0" when there are none.
    num: &'a str,
    denom: &'a str,
    has_digits: bool,
    suffix: &'a str,
}

fn scan(s: &str) -> Result<Scan<'_>, usize> {
    let b = s.as_bytes();
    let end = b.len();
    let mut negative = false;
    let mut pos = 0;
    match b.first() {
        Some(b'-') => {
            negative = true;
            pos = 1;
        }
        Some(b'+') => pos = 1,
        _ => {}
    }
    let mut i = pos;
    while i < end && b[i] == b'0' {
        i += 1;
    }
    if i == end {
        return Ok(Scan {
            negative,
            num: "0",
            denom: "",
            has_digits: true,
            suffix: "",
        });
    }
    let num_start = i;
    while i < end && b[i].is_ascii_digit() {
        i += 1;
    }
    let num = if i == num_start {
        "0"
    } else {
        &s[num_start..i]
    };
    let mut has_digits = i > pos;
    let mut denom = "";
    if i < end && b[i] == b'.' {
        i += 1;
        let start = i;
        while i < end && b[i].is_ascii_digit() {
            i += 1;
        }
        denom = &s[start..i];
        has_digits |= !denom.is_empty();
    }
    let suffix_start = i;
    while i < end && b"eEinumkKMGTP".contains(&b[i]) {
        i += 1;
    }
    if i < end && matches!(b[i], b'+' | b'-') {
        i += 1;
    }
    while i < end && b[i].is_ascii_digit() {
        i += 1;
    }
    if i < end {
        return Err(i);
    }
    Ok(Scan {
        negative,
        num,
        denom,
        has_digits,
        suffix: &s[suffix_start..],
    })
}

/// The suffix as a power of its base: `(binary, exponent, format)`.
fn interpret(suffix: &str) -> Option<(bool, i64, Format)> {
    if let Some((exponent, _)) = DECIMAL_SUFFIXES.iter().find(|(_, s)| *s == suffix) {
        return Some((false, i64::from(*exponent), Format::DecimalSI));
    }
    if let Some(power) = BINARY_SUFFIXES[1..].iter().position(|s| *s == suffix) {
        return Some((true, 10 * (power as i64 + 1), Format::BinarySI));
    }
    let exponent = suffix.strip_prefix(['e', 'E'])?.parse().ok()?;
    Some((false, exponent, Format::DecimalExponent))
}

fn parse_quantity(text: &str) -> Result<Parsed, QuantityError> {
    let error = |kind| QuantityError {
        input: text.to_string(),
        kind,
    };
    if text.is_empty() {
        return Err(error(QuantityErrorKind::Empty));
    }
    if text.contains(char::is_whitespace) {
        return Err(error(QuantityErrorKind::Whitespace));
    }
    if text == "0" {
        return Ok(Parsed {
            quantity: Quantity::ZERO,
            keeps_text: true,
        });
    }
    let scan = scan(text).map_err(|offset| error(QuantityErrorKind::Malformed { offset }))?;
    let (binary, exponent, mut format) = interpret(scan.suffix)
        .ok_or_else(|| error(QuantityErrorKind::UnknownSuffix(scan.suffix.to_string())))?;
    let num_len = scan.num.len() as i64;
    let denom_len = scan.denom.len() as i64;

    // Kubernetes first tries an int64 fast path. Which inputs take it decides whether the
    // text is kept verbatim and, for a number without digits, whether parsing succeeds at all.
    let fast = if binary {
        // Kubernetes estimates 2^exp as exp*3/10 decimal digits.
        let fits = scan.denom.is_empty() && num_len + exponent * 3 / 10 <= 14;
        fits && scan
            .num
            .parse::<i128>()
            .is_ok_and(|v| v << exponent <= i128::from(i64::MAX))
    } else {
        num_len + denom_len <= 18 && exponent.saturating_sub(denom_len) >= -9
    };
    if !fast && !scan.has_digits {
        return Err(error(QuantityErrorKind::NoDigits));
    }
    let shifted = if fast {
        format!("{}{}", scan.num, scan.denom)
    } else {
        String::new()
    };
    let keeps_text = fast
        && if binary {
            shifted.parse::<u64>().is_ok_and(|v| v & 7 != 0)
        } else {
            (exponent - denom_len) % 3 == 0
                && !shifted.ends_with("000")
                && !shifted.starts_with('0')
        };

    let digits: Vec<u8> = scan.num.bytes().chain(scan.denom.bytes()).collect();
    let magnitude = if binary {
        let product = times_pow2(&digits, exponent as u32);
        match digits_to_nanos(&product, 9 - denom_len) {
            Some(m) if m <= BINARY_CAP => m,
            _ => BINARY_CAP,
        }
    } else {
        let shift = exponent.saturating_sub(denom_len).saturating_add(9);
        digits_to_nanos(&digits, shift)
            .filter(|&m| m <= i128::MAX as u128)
            .ok_or_else(|| error(QuantityErrorKind::OutOfRange))?
    };
    if format == Format::BinarySI && magnitude > 0 && magnitude < NANOS as u128 {
        format = Format::DecimalSI;
    }
    let nanos =
        signed(magnitude, scan.negative).ok_or_else(|| error(QuantityErrorKind::OutOfRange))?;
    Ok(Parsed {
        quantity: Quantity { nanos, format },
        keeps_text,
    })
}

/// ASCII decimal digits times 10^shift, rounded up to an integer; `None` past `u128`.
fn digits_to_nanos(digits: &[u8], shift: i64) -> Option<u128> {
    let Some(first) = digits.iter().position(|&d| d != b'0') else {
        return Some(0);
    };
    let digits = &digits[first..];
    let accumulate = |part: &[u8]| {
        part.iter().try_fold(0u128, |acc, &d| {
            acc.checked_mul(10)?.checked_add(u128::from(d - b'0'))
        })
    };
    if shift >= 0 {
        if (digits.len() as i64).saturating_add(shift) > 39 {
            return None;
        }
        return accumulate(digits)?.checked_mul(10u128.checked_pow(shift as u32)?);
    }
    let keep = (digits.len() as i64).saturating_add(shift);
    let (whole, rest) = if keep <= 0 {
        (&digits[..0], digits)
    } else {
        digits.split_at(keep as usize)
    };
    let value = accumulate(whole)?;
    if rest.iter().any(|&d| d != b'0') {
        value.checked_add(1)
    } else {
        Some(value)
    }
}

/// ASCII decimal digits times 2^exp (exp <= 60), as ASCII decimal digits.
fn times_pow2(digits: &[u8], exp: u32) -> Vec<u8> {
    let factor = 1u128 << exp;
    let mut out = Vec::with_capacity(digits.len() + 19);
    let mut carry = 0u128;
    for &d in digits.iter().rev() {
        let t = u128::from(d - b'0') * factor + carry;
        out.push(b'0' + (t % 10) as u8);
        carry = t / 10;
    }
    while carry > 0 {
        out.push(b'0' + (carry % 10) as u8);
        carry /= 10;
    }
    out.reverse();
    out
}

fn signed(magnitude: u128, negative: bool) -> Option<i128> {
    let value = i128::try_from(magnitude).ok()?;
    Some(if negative { -value } else { value })
}

/// `nanos / 10^shift`, rounded away from zero.
fn div_away(nanos: i128, shift: u32) -> i128 {
    let Some(unit) = 10i128.checked_pow(shift) else {
        return nanos.signum();
    };
    let mut result = nanos / unit;
    if nanos % unit != 0 {
        result += nanos.signum();
    }
    result
}

/// `|value| = digits * 10^exp10`, from the shortest decimal that round-trips.
fn decimal_parts(value: f64) -> Option<(u64, i32)> {
    let text = format!("{:e}", value.abs());
    let (mantissa, exponent) = text.split_once('e')?;
    let exponent: i32 = exponent.parse().ok()?;
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}").parse().ok()?;
    Some((digits, exponent - fraction.len() as i32))
}

/// `ceil(a * digits * 10^exp10)`; `None` past `u128`.
fn mul_pow10_ceil(a: u128, digits: u64, exp10: i32) -> Option<u128> {
    if a == 0 || digits == 0 {
        return Some(0);
    }
    let mut product = U192::mul(a, digits);
    if exp10 >= 0 {
        return product
            .to_u128()?
            .checked_mul(10u128.checked_pow(exp10.unsigned_abs())?);
    }
    let mut remaining = exp10.unsigned_abs();
    let mut inexact = false;
    while remaining > 0 && !product.is_zero() {
        let step = remaining.min(19);
        inexact |= product.div_rem(10u64.pow(step)) != 0;
        remaining -= step;
    }
    let value = product.to_u128()?;
    if inexact {
        value.checked_add(1)
    } else {
        Some(value)
    }
}

/// Just enough of a 192-bit unsigned integer to scale an i128 by a 64-bit ratio exactly.
struct U192([u64; 3]);

impl U192 {
    fn mul(a: u128, b: u64) -> U192 {
        let b = u128::from(b);
        let low = (a & u128::from(u64::MAX)) * b;
        let high = (a >> 64) * b + (low >> 64);
        U192([low as u64, high as u64, (high >> 64) as u64])
    }

    fn div_rem(&mut self, divisor: u64) -> u64 {
        let divisor = u128::from(divisor);
        let mut remainder = 0u128;
        for limb in self.0.iter_mut().rev() {
            let current = (remainder << 64) | u128::from(*limb);
            *limb = (current / divisor) as u64;
            remainder = current % divisor;
        }
        remainder as u64
    }

    fn is_zero(&self) -> bool {
        self.0 == [0; 3]
    }

    fn to_u128(&self) -> Option<u128> {
        (self.0[2] == 0).then(|| (u128::from(self.0[1]) << 64) | u128::from(self.0[0]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const D: Format = Format::DecimalSI;
    const B: Format = Format::BinarySI;
    const X: Format = Format::DecimalExponent;
    const CAP: i128 = BINARY_CAP as i128;

    /// Kubernetes' test helper `decQuantity(m, e)`, in nanos: `m * 10^e`.
    fn dec(m: i128, e: i32) -> i128 {
        let shift = e + 9;
        if shift >= 0 {
            m * 10i128.pow(shift as u32)
        } else {
            let unit = 10i128.pow(shift.unsigned_abs());
            assert_eq!(m % unit, 0, "dec({m}, {e}) is below a nano");
            m / unit
        }
    }

    fn q(text: &str) -> Quantity {
        Quantity::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn k8s(text: &str) -> String {
        Quantity::kubernetes_string(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn parses_kubernetes_quantity_parse_table() {
        let table: &[(&str, i128, Format)] = &[
            ("0", 0, D),
            ("0n", 0, D),
            ("0u", 0, D),
            ("0m", 0, D),
            ("0Ki", 0, B),
            ("0k", 0, D),
            ("0Mi", 0, B),
            ("0M", 0, D),
            ("0Gi", 0, B),
            ("0G", 0, D),
            ("0Ti", 0, B),
            ("0T", 0, D),
            ("1", dec(1, 0), D),
            ("1Ki", dec(1024, 0), B),
            ("8Ki", dec(8 * 1024, 0), B),
            ("7Mi", dec(7 << 20, 0), B),
            ("6Gi", dec(6 << 30, 0), B),
            ("5Ti", dec(5 << 40, 0), B),
            ("4Pi", dec(4 << 50, 0), B),
            ("3Ei", dec(3 << 60, 0), B),
            ("10Ti", dec(10 << 40, 0), B),
            ("100Ti", dec(100 << 40, 0), B),
            ("5n", dec(5, -9), D),
            ("4u", dec(4, -6), D),
            ("3m", dec(3, -3), D),
            ("9", dec(9, 0), D),
            ("8k", dec(8, 3), D),
            ("50k", dec(5, 4), D),
            ("7M", dec(7, 6), D),
            ("6G", dec(6, 9), D),
            ("5T", dec(5, 12), D),
            ("40T", dec(4, 13), D),
            ("300T", dec(3, 14), D),
            ("2P", dec(2, 15), D),
            ("1E", dec(1, 18), D),
            ("1E-3", dec(1, -3), X),
            ("1e3", dec(1, 3), X),
            ("1E6", dec(1, 6), X),
            ("1e9", dec(1, 9), X),
            ("1E12", dec(1, 12), X),
            ("1e15", dec(1, 15), X),
            ("1E18", dec(1, 18), X),
            ("1e14", dec(1, 14), X),
            ("1e13", dec(1, 13), X),
            ("100.035k", dec(100035, 0), D),
            ("0.001", dec(1, -3), D),
            ("0.0005k", dec(5, -1), D),
            ("0.005", dec(5, -3), D),
            ("0.05", dec(5, -2), D),
            ("0.5", dec(5, -1), D),
            ("0.00050k", dec(5, -1), D),
            ("0.00500", dec(5, -3), D),
            ("0.05000", dec(5, -2), D),
            ("0.50000", dec(5, -1), D),
            ("0.5e0", dec(5, -1), X),
            ("0.5e-1", dec(5, -2), X),
            ("0.5e-2", dec(5, -3), X),
            ("10.035M", dec(10035, 3), D),
            ("1.2e3", dec(12, 2), X),
            ("1.3E+6", dec(13, 5), X),
            ("1.40e9", dec(14, 8), X),
            ("1.53E12", dec(153, 10), X),
            ("1.6e15", dec(16, 14), X),
            ("1.7E18", dec(17, 17), X),
            ("9.01", dec(901, -2), D),
            ("8.1k", dec(81, 2), D),
            ("7.123456M", dec(7123456, 0), D),
            ("6.987654321G", dec(6987654321, 0), D),
            ("5.444T", dec(5444, 9), D),
            ("40.1T", dec(401, 11), D),
            ("300.2T", dec(3002, 11), D),
            ("2.5P", dec(25, 14), D),
            ("1.01E", dec(101, 16), D),
            ("3.001n", dec(4, -9), D),
            ("1.1E-9", dec(2, -9), X),
            ("0.0000000001", dec(1, -9), D),
            ("0.0000000005", dec(1, -9), D),
            ("0.00000000050", dec(1, -9), D),
            ("0.5e-9", dec(1, -9), X),
            ("0.9n", dec(1, -9), D),
            ("0.00000012345", dec(124, -9), D),
            ("0.00000012354", dec(124, -9), D),
            ("9Ei", CAP, B),
            ("9223372036854775807Ki", CAP, B),
            ("12E", dec(12, 18), D),
            ("100.035Ki", dec(10243584, -2), B),
            ("0.5Mi", dec(512 * 1024, 0), B),
            ("0.05Gi", dec(536870912, -1), B),
            ("0.025Ti", dec(274877906944, -1), B),
            ("0.000000000001Ki", dec(2, -9), D),
            (".001", dec(1, -3), D),
            (".0001k", dec(100, -3), D),
            ("1.", dec(1, 0), D),
            ("1.G", dec(1, 9), D),
        ];
        for &(input, nanos, format) in table {
            for (prefix, sign) in [("", 1), ("-", -1), ("+", 1)] {
                let text = format!("{prefix}{input}");
                let got = q(&text);
                assert_eq!(got.nanos(), sign * nanos, "{text}");
                assert_eq!(got.format(), format, "{text}");
            }
        }
    }

    #[test]
    fn formats_kubernetes_quantity_string_table() {
        let gi = 1i128 << 30;
        let table: &[(i128, Format, &str, &str)] = &[
            (dec(gi, 0), B, "1Gi", "1024Mi"),
            (dec(300 << 20, 0), B, "300Mi", "307200Ki"),
            (dec(6 * 1024, 0), B, "6Ki", ""),
            (dec(1001 * gi, 0), B, "1001Gi", "1025024Mi"),
            (dec(1 << 40, 0), B, "1Ti", "1024Gi"),
            (dec(5, 0), B, "5", "5000m"),
            (dec(500, -3), B, "500m", "0.5"),
            (dec(1, 9), D, "1G", "1000M"),
            (dec(1000, 6), D, "1G", "0.001T"),
            (dec(1000000, 3), D, "1G", ""),
            (dec(1000000000, 0), D, "1G", ""),
            (dec(1, -3), D, "1m", "1000u"),
            (dec(80, -3), D, "80m", ""),
            (dec(1080, -3), D, "1080m", "1.08"),
            (dec(108, -2), D, "1080m", "1080000000n"),
            (dec(10800, -4), D, "1080m", ""),
            (dec(300, 6), D, "300M", ""),
            (dec(1, 12), D, "1T", ""),
            (dec(1, 18), D, "1E", ""),
            (dec(1, 21), D, "1e21", "1000E"),
            (dec(5, 21), D, "5e21", "5000E"),
            (dec(1, 24), D, "1e24", "1000000E"),
            (dec(1234567, 6), D, "1234567M", ""),
            (dec(1234567, -3), B, "1234567m", ""),
            (dec(3, 3), D, "3k", ""),
            (dec(1025, 0), B, "1025", ""),
            (0, D, "0", ""),
            (0, B, "0", ""),
            (dec(1, 9), X, "1e9", ".001e12"),
            (dec(1, -3), X, "1e-3", "0.001e0"),
            (dec(1, -9), X, "1e-9", "1000e-12"),
            (dec(80, -3), X, "80e-3", ""),
            (dec(300, 6), X, "300e6", ""),
            (dec(1, 12), X, "1e12", ""),
            (dec(1, 3), X, "1e3", ""),
            (dec(3, 3), X, "3e3", ""),
            (0, X, "0", "00"),
            (dec(1, -9), D, "1n", ""),
            (dec(80, -9), D, "80n", ""),
            (dec(1080, -9), D, "1080n", ""),
            (dec(108, -8), D, "1080n", ""),
            (dec(10800, -10), D, "1080n", ""),
            (dec(1, -6), D, "1u", ""),
            (dec(80, -6), D, "80u", ""),
            (dec(1080, -6), D, "1080u", ""),
        ];
        for &(nanos, format, expect, alternate) in table {
            let quantity = Quantity::from_nanos(nanos, format);
            assert_eq!(quantity.to_string(), expect, "{nanos}n {format}");
            assert_eq!(q(expect), quantity, "{expect} parses back to its value");
            assert_eq!(k8s(expect), expect, "{expect} is kept verbatim");
            if !alternate.is_empty() {
                assert_eq!(q(alternate).to_string(), expect, "{alternate}");
                assert_eq!(k8s(alternate), expect, "{alternate} is not kept verbatim");
            }
            if nanos != 0 {
                let negated = Quantity::from_nanos(-nanos, format);
                assert_eq!(negated.to_string(), format!("-{expect}"));
            }
        }
    }

    #[test]
    fn parse_emit_table_and_its_negation() {
        let table = [
            ("1Ki", "1Ki"),
            ("1Mi", "1Mi"),
            ("1Gi", "1Gi"),
            ("1024Mi", "1Gi"),
            ("1000M", "1G"),
            (".001Ki", "1024m"),
            (".000001Ki", "1024u"),
            (".000000001Ki", "1024n"),
            (".000000000001Ki", "2n"),
        ];
        for (input, expect) in table {
            assert_eq!(q(input).to_string(), expect, "{input}");
            assert_eq!(q(&format!("-{input}")).to_string(), format!("-{expect}"));
        }
    }

    #[test]
    fn canonical_forms() {
        let table = [
            ("0.5", "500m"),
            ("1000m", "1"),
            ("1.5Gi", "1536Mi"),
            ("1e3", "1e3"),
            ("1000", "1k"),
            ("1G", "1G"),
            ("1024Mi", "1Gi"),
            ("0", "0"),
            ("-0", "0"),
            ("100n", "100n"),
            ("1.5", "1500m"),
            ("12e6", "12e6"),
            ("-250m", "-250m"),
            ("250m", "250m"),
            ("384Mi", "384Mi"),
            ("1Ei", "1Ei"),
            ("1.1Ki", "1126400m"),
            ("0.1Gi", "107374182400m"),
            ("0.5Ki", "512"),
            ("1.2345", "1234500u"),
            ("18446744073709551616", "18446744073709551616"),
            ("8Ei", "9223372036854775807"),
            ("-8Ei", "-9223372036854775807"),
            ("1000E", "1e21"),
            ("1e-7", "100e-9"),
            ("2048", "2048"),
            ("1500Mi", "1500Mi"),
            ("1e29", "100e27"),
        ];
        for (input, expect) in table {
            assert_eq!(q(input).to_string(), expect, "{input}");
        }
    }

    #[test]
    fn binary_values_print_with_the_largest_exact_suffix_up_to_ei() {
        let two_to_63 = Quantity::from_nanos((1i128 << 63) * NANOS, B);
        assert_eq!(two_to_63.to_string(), "8Ei");
        let two_to_70 = Quantity::from_nanos((1i128 << 70) * NANOS, B);
        assert_eq!(two_to_70.to_string(), "1024Ei");
        assert_eq!(
            Quantity::from_nanos(-(3i128 << 20) * NANOS, B).to_string(),
            "-3Mi"
        );
    }

    #[test]
    fn kubernetes_keeps_fast_path_text_verbatim() {
        let table = [
            ("1.500", "1.500"),
            ("+1", "+1"),
            ("01", "01"),
            ("1E3", "1E3"),
            ("1e+3", "1e+3"),
            ("1.Ki", "1.Ki"),
            ("-1Ki", "-1Ki"),
            ("1.100k", "1.100k"),
            ("1.000k", "1k"),
            ("0.5", "500m"),
            ("0.0", "0"),
            ("+0", "0"),
            ("1024Mi", "1Gi"),
            ("8Ki", "8Ki"),
            ("1.5Gi", "1536Mi"),
            ("1000", "1k"),
            ("2e-1", "200e-3"),
            ("0.0000000001", "1n"),
        ];
        for (input, expect) in table {
            assert_eq!(k8s(input), expect, "{input}");
        }
    }

    #[test]
    fn odd_inputs_kubernetes_accepts() {
        let zeros = [
            "-", "+", ".", "-.", "Ki", "m", "M", "Ti", "0Pi", "e5", "e-9", "0e-10", "00", "0e99",
        ];
        for input in zeros {
            assert!(q(input).is_zero(), "{input}");
        }
        assert_eq!(q("Ki").format(), B);
        assert_eq!(q("e5").format(), X);
        assert_eq!(q("1e-1000").nanos(), 1);
        assert_eq!(q("-1e-1000").nanos(), -1);
        assert_eq!(q("1e29").nanos(), dec(1, 29));
    }

    #[test]
    fn rejects_what_kubernetes_rejects() {
        let invalid = [
            "1.1.M",
            "1+1.0M",
            "0.1mi",
            "0.1am",
            "aoeu",
            ".5i",
            "1i",
            "-3.01i",
            "-3.01e-",
            " 1",
            "1 ",
            "",
            "1.2.3",
            "1KiB",
            "1Gb",
            "1K",
            "1e",
            "1e+",
            "--1",
            "1..",
            "1e3.5",
            "0x10",
            "1 Gi",
            "1ki",
            "1\u{a0}",
            "1Ki5",
            "1e3e3",
            "Pi",
            "Ei",
            "-Ei",
            ".e-10",
            "e-10",
            "1e99999999999999999999",
            "½",
        ];
        for input in invalid {
            let error = Quantity::parse(input).expect_err(input);
            assert_eq!(error.input(), input);
            assert!(!error.to_string().is_empty());
        }
    }

    #[test]
    fn errors_name_the_problem() {
        let kind = |text: &str| Quantity::parse(text).expect_err(text).kind().clone();
        assert_eq!(kind(""), QuantityErrorKind::Empty);
        assert_eq!(kind(" 1"), QuantityErrorKind::Whitespace);
        assert_eq!(kind("1.2.3"), QuantityErrorKind::Malformed { offset: 3 });
        assert_eq!(kind("1KiB"), QuantityErrorKind::Malformed { offset: 3 });
        assert_eq!(kind("0.1mi"), QuantityErrorKind::UnknownSuffix("mi".into()));
        assert_eq!(kind("Pi"), QuantityErrorKind::NoDigits);
        assert_eq!(kind("2e29"), QuantityErrorKind::OutOfRange);
        assert_eq!(kind("1e40"), QuantityErrorKind::OutOfRange);

        let message = |text: &str| Quantity::parse(text).expect_err(text).to_string();
        assert!(message("").contains("empty quantity"));
        assert!(message("1 ").contains("whitespace"));
        assert!(message("1.2.3").contains("unexpected '.' at offset 3"));
        assert!(message("1GiB").contains("byte units take no B"));
        assert!(message("1ki").contains("did you mean \"Ki\"?"));
        assert!(message("1K").contains("\"k\" for 1000 or \"Ki\" for 1024"));
        assert!(message("1g").contains("did you mean \"G\"?"));
        assert!(message("1gi").contains("did you mean \"Gi\"?"));
        assert_eq!(kind("1g"), QuantityErrorKind::Malformed { offset: 1 });
        assert!(message("1e").contains("an exponent needs digits"));
        assert!(message("1e99999999999999999999").contains("does not fit 64 bits"));
        assert!(message("1e40").contains("too large"));
        assert!(message("1x").starts_with("invalid quantity \"1x\""));
    }

    #[test]
    fn compares_by_value() {
        use Ordering::*;
        let table = [
            ("0", "0", Equal),
            ("100m", "50m", Greater),
            ("50m", "100m", Less),
            ("10000T", "100Gi", Greater),
            ("1000m", "1", Equal),
            ("1Gi", "1G", Greater),
            ("0.5", "500m", Equal),
            ("1e3", "1k", Equal),
            ("1Ki", "1024", Equal),
            ("-1", "1m", Less),
            ("1E", "1Ei", Less),
            ("1.5Gi", "1536Mi", Equal),
            ("0Ki", "0", Equal),
        ];
        for (a, b, expect) in table {
            assert_eq!(q(a).cmp(&q(b)), expect, "{a} vs {b}");
            assert_eq!(q(b).cmp(&q(a)), expect.reverse(), "{b} vs {a}");
            assert_eq!(q(a) == q(b), expect == Equal, "{a} == {b}");
        }
        let set: HashSet<Quantity> = ["1", "1000m", "1e0", "0.001k"].into_iter().map(q).collect();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn round_up_matches_kubernetes_round_up_table() {
        let table = [
            ("9.01", -3, dec(901, -2), true),
            ("9.01", -2, dec(901, -2), true),
            ("9.01", -1, dec(91, -1), false),
            ("9.01", 0, dec(10, 0), false),
            ("9.01", 1, dec(10, 0), false),
            ("9.01", 2, dec(100, 0), false),
        ];
        for (input, scale, nanos, exact) in table {
            for sign in [1, -1] {
                let original = q(input).mul_ratio(sign, 1).expect("negation fits");
                let rounded = original.round_up(Scale(scale)).expect("fits");
                assert_eq!(rounded.nanos(), sign as i128 * nanos, "{input} at {scale}");
                assert_eq!(rounded == original, exact, "{input} at {scale}");
            }
        }
        assert_eq!(q("1").round_up(Scale(40)), None);
        assert!(q("0").round_up(Scale(40)).is_some_and(Quantity::is_zero));
        assert_eq!(q("1n").round_up(Scale(-12)).map(Quantity::nanos), Some(1));
    }

    #[test]
    fn scaled_values_round_away_from_zero() {
        let table = [
            (-9, -9, 1),
            (-9, -6, 1),
            (-9, -3, 1),
            (-9, 0, 1),
            (-6, -9, 1000),
            (-6, -6, 1),
            (-6, -3, 1),
            (-6, 0, 1),
            (-3, -9, 1_000_000),
            (-3, -6, 1000),
            (-3, -3, 1),
            (-3, 0, 1),
            (0, -9, 1_000_000_000),
            (0, -6, 1_000_000),
            (0, -3, 1000),
            (0, 0, 1),
            (2, -2, 10_000),
        ];
        for (from, to, expect) in table {
            let quantity = Quantity::new_scaled(1, Scale(from)).expect("representable");
            assert_eq!(
                quantity.scaled_value(Scale(to)),
                Some(expect),
                "{from} -> {to}"
            );
        }
        assert_eq!(q("100n").as_milli(), 1);
        assert_eq!(q("-100n").as_milli(), -1);
        assert_eq!(q("1.5").as_milli(), 1500);
        assert_eq!(q("1Gi").as_milli(), 1_073_741_824_000);
        assert_eq!(q("100m").as_value(), 1);
        assert_eq!(q("-100m").as_value(), -1);
        assert_eq!(q("1.5").as_value(), 2);
        assert_eq!(q("1Mi").as_value(), 1_048_576);
        assert_eq!(q("1").scaled_value(Scale(60)), Some(1));
        assert_eq!(q("0").scaled_value(Scale(60)), Some(0));
        assert_eq!(q("1e29").scaled_value(Scale(-12)), None);
        assert_eq!(Quantity::new_scaled(1, Scale(-10)), None);
        assert_eq!(
            Quantity::new_scaled(10, Scale(-10)).map(Quantity::nanos),
            Some(1)
        );
    }

    #[test]
    fn constructors_print_like_kubernetes() {
        let table = [
            (Quantity::new_milli(1, D), "1m"),
            (Quantity::new_milli(1000, D), "1"),
            (Quantity::new_milli(1234000, D), "1234"),
            (Quantity::new_milli(1024, B), "1024m"),
            (Quantity::new_milli(1000000, X), "1e3"),
            (Quantity::new_milli(1024 * 1024, B), "1048576m"),
            (Quantity::new(1, D), "1"),
            (Quantity::new(1000, D), "1k"),
            (Quantity::new(1234000, D), "1234k"),
            (Quantity::new(1024, B), "1Ki"),
            (Quantity::new(1000000, X), "1e6"),
            (Quantity::new(1024 * 1024, B), "1Mi"),
            (Quantity::from_u64(u64::MAX), "18446744073709551615"),
            (Quantity::from_i64(-5), "-5"),
        ];
        for (quantity, expect) in table {
            assert_eq!(quantity.to_string(), expect);
        }
        for (value, scale, expect) in [
            (1, -9, "1n"),
            (1000, -9, "1u"),
            (1, -6, "1u"),
            (1000, -6, "1m"),
            (1, -3, "1m"),
            (1000, -3, "1"),
            (0, -9, "0"),
        ] {
            let quantity = Quantity::new_scaled(value, Scale(scale)).expect("representable");
            assert_eq!(quantity.to_string(), expect);
        }
    }

    #[test]
    fn add_and_sub_keep_kubernetes_formats() {
        let table = [
            (Quantity::new(10, D), Quantity::new(10, D), dec(20, 0), D),
            (Quantity::new(10, D), Quantity::new(1, B), dec(11, 0), D),
            (Quantity::new(10, B), Quantity::new(1, D), dec(11, 0), B),
            (Quantity::ZERO, Quantity::new(50, B), dec(50, 0), B),
            (Quantity::new(50, D), Quantity::ZERO, dec(50, 0), D),
        ];
        for (a, b, nanos, format) in table {
            let sum = a.checked_add(b).expect("fits");
            assert_eq!((sum.nanos(), sum.format()), (nanos, format));
        }
        assert_eq!(
            Quantity::ZERO.checked_add(q("1Gi")).map(|s| s.to_string()),
            Some("1Gi".into())
        );
        assert_eq!(
            q("100m").checked_add(Quantity::ZERO).map(|s| s.to_string()),
            Some("100m".into())
        );
        assert_eq!(
            Quantity::ZERO.checked_sub(q("1Gi")).map(|s| s.to_string()),
            Some("-1Gi".into())
        );
        assert_eq!(
            q("10").checked_sub(q("1")).map(Quantity::nanos),
            Some(dec(9, 0))
        );
        assert_eq!(
            q("10").checked_sub(q("1e1")).map(Quantity::is_zero),
            Some(true)
        );
        let max = Quantity::from_nanos(i128::MAX, D);
        assert_eq!(max.checked_add(q("1n")), None);
        assert_eq!(Quantity::from_nanos(i128::MIN, D).checked_neg(), None);
        assert_eq!(
            q("9.01").checked_neg().map(|n| n.to_string()),
            Some("-9010m".into())
        );
    }

    #[test]
    fn multiplies_exactly_and_rounds_up() {
        assert_eq!(q("10").mul_ratio(10, 1), Some(q("100")));
        assert_eq!(q("10").mul_ratio(-10, 1), Some(q("-100")));
        assert_eq!(q("-50").mul_ratio(-50, 1), Some(q("2500")));
        assert_eq!(q("50").mul_ratio(0, 1), Some(Quantity::ZERO));
        assert_eq!(q("1").mul_ratio(1, 0), None);
        assert_eq!(
            q("1").mul_ratio(1, 3).map(Quantity::nanos),
            Some(333_333_334)
        );
        assert_eq!(
            q("-1").mul_ratio(1, 3).map(Quantity::nanos),
            Some(-333_333_334)
        );
        let third = q("1")
            .mul_ratio(1, 3)
            .and_then(|t| t.round_up(Scale::MILLI));
        assert_eq!(third.map(|t| t.to_string()), Some("334m".into()));
        assert_eq!(
            q("1Gi").mul_ratio(1, 2).map(|h| h.to_string()),
            Some("512Mi".into())
        );
        assert_eq!(q("1Gi").mul_ratio(1, 2).map(Quantity::format), Some(B));
        let max = Quantity::from_nanos(i128::MAX, D);
        assert_eq!(max.mul_ratio(2, 1), None);
        assert_eq!(max.mul_ratio(i64::MAX, i64::MAX), Some(max));

        assert_eq!(q("100m").mul_f64(1.5), Some(q("150m")));
        assert_eq!(q("1").mul_f64(0.1), Some(q("100m")));
        assert_eq!(q("3").mul_f64(1.0 / 3.0), Some(q("1")));
        assert_eq!(
            q("1Gi").mul_f64(0.5).map(|h| h.to_string()),
            Some("512Mi".into())
        );
        assert_eq!(q("250m").mul_f64(-2.0), Some(q("-500m")));
        assert_eq!(q("1").mul_f64(1e-12), Some(q("1n")));
        assert_eq!(q("1").mul_f64(1e-300), Some(q("1n")));
        assert_eq!(q("1").mul_f64(0.0), Some(Quantity::ZERO));
        assert_eq!(q("1").mul_f64(f64::NAN), None);
        assert_eq!(q("1e29").mul_f64(10.0), None);
        let cpu = q("1")
            .mul_f64(0.3333)
            .and_then(|c| c.round_up(Scale::MILLI));
        assert_eq!(cpu.map(|c| c.to_string()), Some("334m".into()));
    }

    #[test]
    fn converts_to_f64() {
        let table = [
            ("2Ki", 2048.0),
            ("1.1Ki", 1126.4),
            ("1Mi", 1.048576e6),
            ("2Gi", 2.147483648e9),
            ("100m", 0.1),
            ("-1n", -1e-9),
            ("0", 0.0),
            ("12E", 1.2e19),
        ];
        for (input, expect) in table {
            assert_eq!(q(input).as_f64(), expect, "{input}");
        }
    }

    #[test]
    fn reads_yaml_scalars_as_kubectl_sends_them() {
        let table = [
            ("1", "1", D),
            ("0.5", "500m", D),
            ("2", "2", D),
            ("1.0", "1", D),
            ("-3", "-3", D),
            ("1e3", "1k", D),
            ("12e6", "12M", D),
            ("1e-7", "100e-9", X),
            ("1e21", "1e21", X),
            ("010", "8", D),
            ("0x10", "16", D),
            ("1_000", "1k", D),
            ("18446744073709551615", "18446744073709551615", D),
            ("500m", "500m", D),
            (" 1Gi ", "1Gi", B),
        ];
        for (input, expect, format) in table {
            let got = Quantity::from_yaml_scalar(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(
                (got.to_string().as_str(), got.format()),
                (expect, format),
                "{input}"
            );
        }
        assert!(Quantity::from_yaml_scalar("true").is_err());
        assert!(Quantity::from_yaml_scalar("1e3Ki").is_err());
        assert!(Quantity::from_yaml_scalar("").is_err());
        assert_eq!(
            Quantity::from_string_value(" 1Gi\n").map(|v| v.to_string()),
            Ok("1Gi".into())
        );
        assert!(Quantity::parse(" 1Gi").is_err());
    }

    #[test]
    fn reads_floats_as_go_json_writes_them() {
        assert_eq!(
            Quantity::from_f64(0.1).map(|v| v.to_string()),
            Ok("100m".into())
        );
        assert_eq!(Quantity::from_f64(1e21).map(Quantity::format), Ok(X));
        assert_eq!(Quantity::from_f64(1e20).map(Quantity::format), Ok(D));
        assert_eq!(Quantity::from_f64(-0.0).map(Quantity::is_zero), Ok(true));
        let error = Quantity::from_f64(f64::INFINITY).expect_err("infinite");
        assert_eq!(error.kind(), &QuantityErrorKind::NotFinite);
        let error = Quantity::from_f64(1e300).expect_err("too large");
        assert_eq!(error.kind(), &QuantityErrorKind::OutOfRange);
    }

    #[test]
    fn canonical_text_reparses_to_itself() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            state
        };
        for _ in 0..5000 {
            let digits = (next() % 1_000_000) as i128 - 500_000;
            let power = (next() % 21) as u32;
            let nanos = (digits * 10i128.pow(power)) << (next() % 41);
            let mut format = [D, B, X][(next() % 3) as usize];
            // Parsing caps BinarySI at 2^63-1, so larger binary values cannot round-trip.
            if nanos.unsigned_abs() > BINARY_CAP {
                format = D;
            }
            let quantity = Quantity::from_nanos(nanos, format);
            let text = quantity.to_string();
            let again = q(&text);
            assert_eq!(again, quantity, "{text}");
            // A binary value printed without a suffix reads back as DecimalSI, in Go too.
            if format != B || text.ends_with('i') {
                assert_eq!(again.to_string(), text);
                assert_eq!(k8s(&text), text);
            }
        }
    }

    #[test]
    fn from_str_and_format_names() {
        let parsed: Quantity = "1.5Gi".parse().expect("valid");
        assert_eq!(parsed.to_string(), "1536Mi");
        assert!("1.2.3".parse::<Quantity>().is_err());
        assert_eq!(B.to_string(), "BinarySI");
        assert_eq!(X.as_str(), "DecimalExponent");
        assert_eq!(Quantity::default(), Quantity::ZERO);
        assert_eq!(q("-2").signum(), -1);
        assert_eq!(q("2").with_format(X).to_string(), "2");
        assert_eq!(q("2000").with_format(X).to_string(), "2e3");
    }
}
