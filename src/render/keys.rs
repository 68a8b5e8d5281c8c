//! go-yaml v2's "natural" map key order (its `keyList.Less`): letters after non-letters,
//! runs of digits compared as numbers.

use std::cmp::Ordering;

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}

fn digit_value(c: char) -> i64 {
    c.to_digit(10)
        .map_or((c as i64).wrapping_sub('0' as i64), i64::from)
}

/// `less` over ASCII bytes, without decoding: most Kubernetes keys are ASCII.
fn less_ascii(a: &[u8], b: &[u8]) -> bool {
    for i in 0..a.len().min(b.len()) {
        if a[i] != b[i] {
            let (al, bl) = (a[i].is_ascii_alphabetic(), b[i].is_ascii_alphabetic());
            if al && bl {
                return a[i] < b[i];
            }
            if al || bl {
                return bl;
            }
            if !a[i].is_ascii_digit() && !b[i].is_ascii_digit() {
                return a[i] < b[i];
            }
            let a: Vec<char> = a.iter().map(|&c| c as char).collect();
            let b: Vec<char> = b.iter().map(|&c| c as char).collect();
            return less(&a, &b);
        }
    }
    a.len() < b.len()
}

pub fn less(a: &[char], b: &[char]) -> bool {
    for i in 0..a.len().min(b.len()) {
        if a[i] == b[i] {
            continue;
        }
        let (al, bl) = (a[i].is_alphabetic(), b[i].is_alphabetic());
        if al && bl {
            return a[i] < b[i];
        }
        if al || bl {
            return bl;
        }
        let (mut an, mut bn) = (0i64, 0i64);
        if a[i] == '0' || b[i] == '0' {
            // Zeros inside a number are digits, not leading zeros.
            let mut j = i;
            while j > 0 && is_digit(a[j - 1]) {
                j -= 1;
                if a[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < a.len() && is_digit(a[ai]) {
            an = an.wrapping_mul(10).wrapping_add(digit_value(a[ai]));
            ai += 1;
        }
        let mut bi = i;
        while bi < b.len() && is_digit(b[bi]) {
            bn = bn.wrapping_mul(10).wrapping_add(digit_value(b[bi]));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return a[i] < b[i];
    }
    a.len() < b.len()
}

/// Sorts keys the way go-yaml v2 does. The comparison is not transitive for a few key sets
/// (`a10a`, `a100`); there kubectl's own order varies between runs, so any order will do.
pub fn sorted<T>(items: impl IntoIterator<Item = T>, key: impl Fn(&T) -> &str) -> Vec<T> {
    let mut items: Vec<T> = items.into_iter().collect();
    let cmp = |a: &str, b: &str| {
        let lt = |x: &str, y: &str| {
            if x.is_ascii() && y.is_ascii() {
                less_ascii(x.as_bytes(), y.as_bytes())
            } else {
                let x: Vec<char> = x.chars().collect();
                let y: Vec<char> = y.chars().collect();
                less(&x, &y)
            }
        };
        if lt(a, b) {
            Ordering::Less
        } else if lt(b, a) {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    };
    items.sort_by(|a, b| cmp(key(a), key(b)));
    items
}

#[cfg(test)]
mod tests {
    fn sorted(keys: &[&str]) -> Vec<String> {
        super::sorted(keys.iter().rev().map(|s| s.to_string()), |s| s.as_str())
    }

    #[test]
    fn natural_order_matches_go_yaml_v2() {
        let chains: &[&[&str]] = &[
            &[
                "a0", "a00", "a1", "a01", "a2", "a02", "a002", "a9", "a9b", "a10", "a11", "a15",
                "a19", "a100", "a105", "aB",
            ],
            &[
                "0", "00", "1", "1.5", "1.9", "1.10", "01", "001", "2", "7", "007", "10",
            ],
            &["v1.2.0", "v1.9.0", "v1.10.0", "v9", "v10"],
            &["x099", "x100", "x0100", "x101"],
            &["", "!", "+", "-", "-1", ".", "_z", "~"],
            &["a", "a b", "a+b", "a-b", "a.b", "a/b", "a:b", "a_b", "a~b"],
            &[
                "app",
                "app-name",
                "app.kubernetes.io/name",
                "app_name",
                "appName",
            ],
            &["APP", "B", "Z", "Zz", "a"],
            &["apiVersion", "data", "kind", "metadata", "spec"],
            &["z", "é", "Ω", "日本"],
            &["config-2.yaml", "config.json"],
        ];
        for chain in chains {
            assert_eq!(
                sorted(chain),
                chain.iter().map(|s| s.to_string()).collect::<Vec<_>>()
            );
        }
    }
}
