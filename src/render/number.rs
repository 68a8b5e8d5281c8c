//! Numbers as they come out of kustomize: through Go's `encoding/json` and back through
//! go-yaml v2, so the value, not the spelling, decides the text.

/// Shortest round-trip digits and the decimal exponent of the first one (Rust's `{:e}`
/// picks the same digits as Go's shortest formatting).
fn shortest_digits(f: f64) -> (String, i32) {
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits = mantissa.chars().filter(char::is_ascii_digit).collect();
    (digits, exp.parse().unwrap_or(0))
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`: shortest digits, in exponent form when the
/// decimal exponent is below -4 or 6 and above (Go decides with precision 6 when shortest).
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let (digits, exp) = shortest_digits(f);
    let sign = if f < 0.0 { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{frac}e{esign}{:02}", exp.abs());
    }
    let point = exp + 1;
    if point <= 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-point) as usize))
    } else if point as usize >= digits.len() {
        format!(
            "{sign}{digits}{}",
            "0".repeat(point as usize - digits.len())
        )
    } else {
        let (int, frac) = digits.split_at(point as usize);
        format!("{sign}{int}.{frac}")
    }
}

/// The text kustomize prints for a float value; `None` for infinities and NaN, which
/// `encoding/json` refuses. `encoding/json` writes a float below 1e21 as its shortest digits
/// padded with zeros (`-2^63` as `-9223372036854776000`); go-yaml v2 reads that back as an
/// integer when it fits 64 bits and as a float otherwise.
pub fn float_text(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    if f == 0.0 {
        return Some("0".into());
    }
    let (digits, exp) = shortest_digits(f);
    let point = exp + 1;
    if f.abs() < 1e21 && point >= digits.len() as i32 {
        let text = format!("{digits}{}", "0".repeat(point as usize - digits.len()));
        let value: i128 = text.parse().ok()?;
        let value = if f < 0.0 { -value } else { value };
        if i64::try_from(value).is_ok() || u64::try_from(value).is_ok() {
            return Some(value.to_string());
        }
    }
    Some(format_float(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_go_after_a_json_round_trip() {
        let cases = [
            (1.0, "1"),
            (1e3, "1000"),
            (-0.0, "0"),
            (0.1, "0.1"),
            (0.0001, "0.0001"),
            (0.0025, "0.0025"),
            (100000.5, "100000.5"),
            (999999.9, "999999.9"),
            (0.00001, "1e-05"),
            (1e-10, "1e-10"),
            (1234567.5, "1.2345675e+06"),
            (6.02214076e23, "6.02214076e+23"),
            (std::f64::consts::PI, "3.141592653589793"),
            (1e19, "10000000000000000000"),
            (1e20, "1e+20"),
            (-9.223372036854776e18, "-9.223372036854776e+18"),
            (1.8446744073709552e19, "1.8446744073709552e+19"),
            (5e-324, "5e-324"),
            (9.5, "9.5"),
        ];
        for (f, want) in cases {
            assert_eq!(float_text(f).unwrap(), want, "{f:e}");
        }
        assert_eq!(float_text(f64::INFINITY), None);
    }
}
