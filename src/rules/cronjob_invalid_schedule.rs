use crate::declare_rule;
use crate::lint::Check;

declare_rule! {
    /// ## What it does
    /// Flags CronJobs whose `schedule` is missing or is not a schedule the CronJob
    /// controller accepts (five fields — minute, hour, day of month, month, day of week — or
    /// a macro such as `@hourly` or `@every 2h`), and `concurrencyPolicy` values other than
    /// `Allow`, `Forbid` and `Replace`.
    ///
    /// ## Why is this bad?
    /// The API server rejects the object, so the CronJob (and with it every other change in
    /// the same apply) never lands. Common causes are a six-field schedule copied from
    /// Quartz or Spring (with seconds), a day of week of 7, an out-of-range value such as
    /// minute 60, and a `TZ=` prefix, which must now go in `spec.timeZone`.
    ///
    /// ## Example
    /// ```yaml,invalid
    /// apiVersion: batch/v1
    /// kind: CronJob
    /// metadata:
    ///   name: report
    /// spec:
    ///   schedule: "0 0 */6 * * *"
    ///   jobTemplate:
    ///     spec:
    ///       template:
    ///         spec:
    ///           restartPolicy: OnFailure
    ///           containers:
    ///           - name: report
    ///             image: ghcr.io/acme/report:1.0.0
    /// ```
    ///
    /// ```yaml,valid
    /// apiVersion: batch/v1
    /// kind: CronJob
    /// metadata:
    ///   name: report
    /// spec:
    ///   schedule: "0 */6 * * MON-FRI"
    ///   jobTemplate:
    ///     spec:
    ///       template:
    ///         spec:
    ///           restartPolicy: OnFailure
    ///           containers:
    ///           - name: report
    ///             image: ghcr.io/acme/report:1.0.0
    /// ```
    ///
    /// ## Fix
    /// Write five fields: `minute hour day-of-month month day-of-week`, with values in
    /// range (0-59, 0-23, 1-31, 1-12 or JAN-DEC, 0-6 or SUN-SAT), or a macro (`@yearly`,
    /// `@monthly`, `@weekly`, `@daily`, `@hourly`, `@every <duration>`). Put a time zone in
    /// `spec.timeZone`.
    ///
    /// ## Options
    /// None.
    pub static RULE = {
        code: "KF704",
        name: "cronjob-invalid-schedule",
        category: Hygiene,
        severity: Error,
        kinds: &["CronJob"],
        check: check,
    }
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const FIELDS: [(&str, u32, u32, &[&str]); 5] = [
    ("minute", 0, 59, &[]),
    ("hour", 0, 23, &[]),
    ("day of month", 1, 31, &[]),
    ("month", 1, 12, &MONTHS),
    ("day of week", 0, 6, &DAYS),
];

fn value(text: &str, min: u32, names: &[&str]) -> Option<u32> {
    let named = names
        .iter()
        .position(|n| n.eq_ignore_ascii_case(text))
        .map(|i| i as u32 + min);
    named.or_else(|| {
        text.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| text.parse().ok())
            .flatten()
    })
}

/// One comma-separated part of a field, checked the way the controller's parser does.
fn part(text: &str, (field, min, max, names): (&str, u32, u32, &[&str])) -> Result<(), String> {
    let (range, step) = match text.split_once('/') {
        Some((range, step)) => match step.parse::<u32>() {
            Ok(s) if s > 0 && step.bytes().all(|b| b.is_ascii_digit()) => (range, Some(s)),
            _ => {
                return Err(format!(
                    "the {field} step `{step}` is not a positive number"
                ));
            }
        },
        None => (text, None),
    };
    if range == "*" || range == "?" {
        return Ok(());
    }
    let read =
        |t: &str| value(t, min, names).ok_or_else(|| format!("`{t}` is not a valid {field}"));
    let (start, end) = match range.split_once('-') {
        Some((a, b)) => (read(a)?, read(b)?),
        None => {
            let v = read(range)?;
            (v, if step.is_some() { max } else { v })
        }
    };
    if start < min || end > max {
        return Err(format!("{field} `{range}` is out of range ({min}-{max})"));
    }
    if start > end {
        return Err(format!("{field} range `{range}` starts after it ends"));
    }
    Ok(())
}

/// A Go duration such as `1h30m` or `90s`.
fn go_duration(text: &str) -> bool {
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        let Some(unit) = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .into_iter()
            .find(|u| rest.starts_with(u))
        else {
            return false;
        };
        rest = &rest[unit.len()..];
    }
    !text.is_empty()
}

pub fn schedule_error(schedule: &str) -> Option<String> {
    let s = schedule.trim();
    if s.starts_with("TZ=") || s.starts_with("CRON_TZ=") {
        return Some("a time zone in the schedule is rejected; set `spec.timeZone` instead".into());
    }
    if let Some(macro_) = s.strip_prefix('@') {
        return match macro_ {
            "yearly" | "annually" | "monthly" | "weekly" | "daily" | "midnight" | "hourly" => None,
            _ => match macro_.strip_prefix("every ") {
                Some(d) if go_duration(d.trim()) => None,
                Some(_) => Some("`@every` needs a duration such as `30m` or `1h30m`".into()),
                None => Some(format!("unknown macro `@{macro_}`")),
            },
        };
    }
    let fields: Vec<&str> = s.split_whitespace().collect();
    if fields.len() != 5 {
        let hint = if fields.len() == 6 {
            " (seconds are not supported)"
        } else {
            ""
        };
        return Some(format!("expected 5 fields, found {}{hint}", fields.len()));
    }
    fields
        .iter()
        .zip(FIELDS)
        .find_map(|(f, spec)| f.split(',').find_map(|p| part(p, spec).err()))
}

fn check(c: &mut Check) {
    let root = &c.doc.root;
    match root.path(&["spec", "schedule"]) {
        None => {
            c.report(
                "/spec/schedule",
                "CronJob has no schedule, which the API server requires",
            );
        }
        Some(node) => {
            let problem = match node.as_str() {
                Some(s) => schedule_error(s).map(|e| format!("schedule `{s}`: {e}")),
                None => Some("schedule must be a string such as \"*/5 * * * *\"".to_string()),
            };
            if let Some(message) = problem {
                c.report("/spec/schedule", message)
                    .with_help("write `minute hour day-of-month month day-of-week`, or a macro such as @hourly");
            }
        }
    }
    if let Some(policy) = root
        .path(&["spec", "concurrencyPolicy"])
        .filter(|n| !n.is_null())
    {
        let text = policy.scalar_text().unwrap_or_default();
        if !matches!(text.as_str(), "Allow" | "Forbid" | "Replace") || policy.as_str().is_none() {
            c.report(
                "/spec/concurrencyPolicy",
                format!("concurrencyPolicy `{text}` is not one of Allow, Forbid, Replace"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::schedule_error;

    #[test]
    fn schedules() {
        for ok in [
            "*/5 * * * *",
            "0 0 * * 0",
            "15 2 1,15 * MON-fri",
            "0 9-17/2 * jan-MAR ?",
            "5/15 * * * *",
            "@hourly",
            "@every 1h30m",
            "0 0 31 12 6",
        ] {
            assert_eq!(schedule_error(ok), None, "{ok}");
        }
        for bad in [
            "0 0 */6 * * *",
            "60 * * * *",
            "0 0 * * 7",
            "* * * *",
            "*/0 * * * *",
            "5-1 * * * *",
            "0 0 0 * *",
            "@fortnightly",
            "@every soon",
            "TZ=UTC 0 0 * * *",
            "0 0 * foo *",
        ] {
            assert!(schedule_error(bad).is_some(), "{bad}");
        }
    }
}
