//! How Go's YAML libraries type a plain scalar. kustomize reads with yaml.v3 (YAML 1.2 core
//! schema plus timestamps) and writes with go-yaml v2 (YAML 1.1: `yes`, `on`, base 60), so
//! both resolvers are here, sharing Go's integer, float and time parsers.

use crate::doc::Value;

/// Go's `strconv.ParseInt(s, 0, 64)`, then `ParseUint`: sign, base prefix (`0x`, `0o`,
/// `0b`, leading `0` for octal), digits. Underscores must already be removed. Shared with
/// quantity parsing, which reads YAML numbers the same way.
pub fn go_int(s: &str) -> Option<i128> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.get(..2).map(|p| p.to_ascii_lowercase());
    let (radix, digits) = match lower.as_deref() {
        Some("0x") => (16, &body[2..]),
        Some("0o") => (8, &body[2..]),
        Some("0b") => (2, &body[2..]),
        _ if body.len() > 1 && body.starts_with('0') => (8, &body[1..]),
        _ => (10, body),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u128::from_str_radix(digits, radix).ok()?;
    if neg {
        (magnitude <= i64::MAX as u128 + 1).then(|| -(magnitude as i128))
    } else if magnitude <= i64::MAX as u128
        || (magnitude <= u64::MAX as u128 && !s.starts_with('+'))
    {
        // ParseUint takes no sign.
        Some(magnitude as i128)
    } else {
        None
    }
}

fn go_parse_int(s: &str) -> Option<Value> {
    let v = go_int(s)?;
    Some(match i64::try_from(v) {
        Ok(i) => Value::Int(i),
        Err(_) => Value::UInt(u64::try_from(v).ok()?),
    })
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`, the float pattern of Go's YAML
/// decoders (also what Kubernetes quantities accept as a number).
pub fn is_yaml_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-' | b'+')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// A float in Go's YAML pattern that ParseFloat reads without overflow.
fn yaml_style_float(s: &str) -> Option<f64> {
    if !is_yaml_float(s) {
        return None;
    }
    let f: f64 = s.parse().ok()?;
    f.is_finite().then_some(f)
}

/// A time as Go's `time.Parse` reads the layouts yaml.v2/v3 accept.
#[derive(Debug, PartialEq)]
pub struct Timestamp {
    pub year: u32,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// Fraction digits as written (trailing zeros included).
    pub fraction: String,
    /// Offset from UTC in minutes.
    pub offset: i32,
}

impl Timestamp {
    /// RFC 3339 with nanoseconds, as Go's `encoding/json` writes a `time.Time`.
    pub fn rfc3339(&self) -> String {
        let mut frac: String = self.fraction.chars().take(9).collect();
        while frac.ends_with('0') {
            frac.pop();
        }
        let mut s = format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        );
        if !frac.is_empty() {
            s.push('.');
            s.push_str(&frac);
        }
        if self.offset == 0 {
            s.push('Z');
        } else {
            let sign = if self.offset < 0 { '-' } else { '+' };
            let o = self.offset.abs();
            s.push_str(&format!("{sign}{:02}:{:02}", o / 60, o % 60));
        }
        s
    }
}

fn days_in(month: u32, year: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Go's `getnum(s, false)`: one or two digits.
fn getnum(s: &[u8], i: &mut usize) -> Option<u32> {
    let d0 = *s.get(*i)?;
    if !d0.is_ascii_digit() {
        return None;
    }
    *i += 1;
    let mut n = (d0 - b'0') as u32;
    if let Some(d1) = s.get(*i).filter(|d| d.is_ascii_digit()) {
        n = n * 10 + (d1 - b'0') as u32;
        *i += 1;
    }
    Some(n)
}

/// The timestamp layouts of yaml.v2 and yaml.v3: `2006-1-2T15:4:5.999999999Z07:00` (also
/// with `t`), `2006-1-2 15:4:5.999999999` and `2006-1-2`.
pub fn parse_timestamp(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    let year: u32 = s[..4].parse().ok()?;
    let mut i = 5;
    let month = getnum(b, &mut i)?;
    if b.get(i) != Some(&b'-') {
        return None;
    }
    i += 1;
    let day = getnum(b, &mut i)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in(month, year) {
        return None;
    }
    let mut ts = Timestamp {
        year,
        month,
        day,
        hour: 0,
        minute: 0,
        second: 0,
        fraction: String::new(),
        offset: 0,
    };
    if i == b.len() {
        return Some(ts);
    }
    let zoned = match b[i] {
        b'T' | b't' => true,
        b' ' => false,
        _ => return None,
    };
    i += 1;
    ts.hour = getnum(b, &mut i)?;
    if b.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    ts.minute = getnum(b, &mut i)?;
    if b.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    ts.second = getnum(b, &mut i)?;
    if ts.hour > 23 || ts.minute > 59 || ts.second > 59 {
        return None;
    }
    if matches!(b.get(i), Some(b'.' | b',')) && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        ts.fraction = s[start..i].to_string();
    }
    if zoned {
        match b.get(i)? {
            b'Z' => i += 1,
            sign @ (b'+' | b'-') => {
                let z = b.get(i + 1..i + 6)?;
                if z[2] != b':' || !z[..2].iter().chain(&z[3..]).all(u8::is_ascii_digit) {
                    return None;
                }
                let h = ((z[0] - b'0') * 10 + (z[1] - b'0')) as i32;
                let m = ((z[3] - b'0') * 10 + (z[4] - b'0')) as i32;
                if h > 24 || m > 60 {
                    return None;
                }
                ts.offset = if *sign == b'-' {
                    -(h * 60 + m)
                } else {
                    h * 60 + m
                };
                i += 6;
            }
            _ => return None,
        }
    }
    (i == b.len()).then_some(ts)
}

/// yaml.v3's reading of an untagged plain scalar, as kustomize (kyaml) loads it.
/// Timestamps become RFC 3339 strings because that is what they turn into on the way out.
pub fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        _ => {}
    }
    match s.as_bytes()[0] {
        b'0'..=b'9' | b'+' | b'-' => {
            if let Some(ts) = parse_timestamp(s) {
                return Value::String(ts.rfc3339());
            }
            let plain = s.replace('_', "");
            if let Some(v) = go_parse_int(&plain) {
                return v;
            }
            if let Some(f) = yaml_style_float(&plain) {
                return Value::Float(f);
            }
            Value::String(s.to_string())
        }
        b'.' => match yaml_style_float(s) {
            Some(f) => Value::Float(f),
            None => Value::String(s.to_string()),
        },
        _ => Value::String(s.to_string()),
    }
}

/// yaml.v3's reading of a scalar with an explicit core tag (`!!str 123`, `!!int "42"`).
/// Custom tags leave the text a string, as yaml.v3 does for tags it cannot resolve.
pub fn resolve_tagged(tag: &str, s: &str) -> Option<Value> {
    Some(match tag {
        "str" => Value::String(s.to_string()),
        "null" => Value::Null,
        "bool" => match resolve_plain(s) {
            v @ Value::Bool(_) => v,
            _ => return None,
        },
        "int" => {
            let plain = s.replace('_', "");
            go_parse_int(&plain)?
        }
        "float" => match resolve_plain(s) {
            Value::Int(i) => Value::Float(i as f64),
            Value::UInt(u) => Value::Float(u as f64),
            v @ Value::Float(_) => v,
            _ => return None,
        },
        "timestamp" => Value::String(parse_timestamp(s)?.rfc3339()),
        _ => Value::String(s.to_string()),
    })
}

/// go-yaml v2 would read this string back, unquoted, as something else (bool, null, number,
/// timestamp, or a YAML 1.1 base-60 number), so it has to be double-quoted.
pub fn needs_quotes(s: &str) -> bool {
    let Some(&first) = s.as_bytes().first() else {
        return true;
    };
    match first {
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => matches!(
            s,
            "y" | "Y"
                | "yes"
                | "Yes"
                | "YES"
                | "true"
                | "True"
                | "TRUE"
                | "on"
                | "On"
                | "ON"
                | "n"
                | "N"
                | "no"
                | "No"
                | "NO"
                | "false"
                | "False"
                | "FALSE"
                | "off"
                | "Off"
                | "OFF"
                | "~"
                | "null"
                | "Null"
                | "NULL"
        ),
        b'.' => {
            matches!(s, ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF")
                || yaml_style_float(s).is_some()
        }
        b'+' | b'-' | b'0'..=b'9' => {
            if matches!(s, "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF")
                || parse_timestamp(s).is_some()
            {
                return true;
            }
            let plain = s.replace('_', "");
            go_parse_int(&plain).is_some() || yaml_style_float(&plain).is_some() || is_base60(s)
        }
        _ => false,
    }
}

/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
fn is_base60(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-' | b'+')) {
        i += 1;
    }
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
        i += 1;
    }
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) && i - start < 2 {
            i += 1;
        }
        match i - start {
            1 => {}
            2 if b[start] <= b'5' => {}
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'_') {
            i += 1;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_v3_reads_plain_scalars_as_kustomize_does() {
        let cases: &[(&str, Value)] = &[
            ("yes", Value::String("yes".into())),
            ("True", Value::Bool(true)),
            ("~", Value::Null),
            ("0755", Value::Int(493)),
            ("0o17", Value::Int(15)),
            ("0x1f", Value::Int(31)),
            ("0b1010", Value::Int(10)),
            ("+12", Value::Int(12)),
            ("-0x1F", Value::Int(-31)),
            ("1_000_000", Value::Int(1_000_000)),
            ("08", Value::Float(8.0)),
            ("09.5", Value::Float(9.5)),
            ("1e3", Value::Float(1000.0)),
            ("9223372036854775808", Value::UInt(9223372036854775808)),
            ("-9223372036854775809", Value::Float(-9.223372036854776e18)),
            ("2024-1-2", Value::String("2024-01-02T00:00:00Z".into())),
            (
                "2024-01-02 10:00:00",
                Value::String("2024-01-02T10:00:00Z".into()),
            ),
            (
                "2024-01-02T10:00:00.500+02:00",
                Value::String("2024-01-02T10:00:00.5+02:00".into()),
            ),
            (
                "2024-01-02T10:00:00-00:00",
                Value::String("2024-01-02T10:00:00Z".into()),
            ),
            ("2024-02-30", Value::String("2024-02-30".into())),
            (
                "2024-01-02T10:00:00",
                Value::String("2024-01-02T10:00:00".into()),
            ),
            (
                "2024-01-02T10:00:00z",
                Value::String("2024-01-02T10:00:00z".into()),
            ),
            ("12:30", Value::String("12:30".into())),
            ("100Mi", Value::String("100Mi".into())),
        ];
        for (text, want) in cases {
            assert_eq!(&resolve_plain(text), want, "{text}");
        }
    }

    #[test]
    fn go_yaml_v2_quotes_what_it_would_misread() {
        for s in [
            "",
            "y",
            "NO",
            "on",
            "~",
            "null",
            "007",
            "0755",
            "0O17",
            "-0b11",
            "+1",
            "-0",
            "1000_",
            "0x_1F",
            "08",
            "1.",
            ".5",
            "+.5",
            "1e3",
            "1e1_0",
            ".inf",
            "-.Inf",
            "2024-01-02",
            "2024-1-2",
            "2024-02-29",
            "2024-01-02 1:2:3.5",
            "2024-01-02t10:00:00Z",
            "12:30",
            "1:2:3",
            "-1:30",
            "1:30.5",
            "1_0:30",
            "16:9",
            "00:00",
            "20240102",
            "123456789012345678901234567890",
        ] {
            assert!(needs_quotes(s), "{s:?} should be quoted");
        }
        for s in [
            "yEs",
            "nO",
            "tRUE",
            "t",
            "f",
            "None",
            "nil",
            "<<",
            "0o19",
            "0xZZ",
            "0b102",
            "+-1",
            "_1000",
            "1,000",
            "1e",
            "e3",
            ".e3",
            "1e3.5",
            "0x1p-2",
            "1.2.3",
            ".",
            "..",
            "-.",
            "+",
            "1i",
            ".iNf",
            "inf",
            "NaN",
            "Infinity",
            "2023-02-29",
            "2024-13-01",
            "2024-02-30",
            "2024-01",
            "10000-01-02",
            "2024-01-02T10:00:00",
            "2024-01-02T10:00",
            "2024-01-02 10:00:00 +01:00",
            "12:60",
            "99:99",
            "1:05:60",
            "8080:80",
            "1:30:",
            ":30",
            "a1:30",
            "12:30 PM",
            "100Mi",
        ] {
            assert!(!needs_quotes(s), "{s:?} should stay plain");
        }
    }

    #[test]
    fn tagged_scalars_resolve_like_yaml_v3() {
        assert_eq!(
            resolve_tagged("str", "123"),
            Some(Value::String("123".into()))
        );
        assert_eq!(resolve_tagged("int", "42"), Some(Value::Int(42)));
        assert_eq!(resolve_tagged("float", "3"), Some(Value::Float(3.0)));
        assert_eq!(resolve_tagged("null", ""), Some(Value::Null));
        assert_eq!(
            resolve_tagged("custom", "value"),
            Some(Value::String("value".into()))
        );
        assert_eq!(resolve_tagged("int", "abc"), None);
    }
}
