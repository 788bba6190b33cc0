//! `chatops-bot audit [N] [--since <when>] [--json]`: the audit log for a person (one line per
//! entry) or for a script (JSON Lines), always oldest first.

use chatops_common::Settings;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use crate::store::{AuditEntry, Store};

/// How many entries `audit` prints when neither N nor `--since` is given.
const DEFAULT_LIMIT: i64 = 50;

/// What a `since` value may look like, for messages.
const WHEN: &str = "an RFC 3339 time like 2026-05-01T09:00:00Z (or +02:00), or a duration back from now like 24h, 7d or 30m";

/// Which entries to print, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only the latest this many (of those since `since`, when given).
    pub limit: Option<i64>,
    /// Only entries stamped at or after this time.
    pub since: Option<SystemTime>,
    /// One JSON object per line instead of a line for people.
    pub json: bool,
}

/// Parses the words after `audit`; `now` is where a duration counts back from. The error is
/// the one line the user sees.
pub fn parse(args: &[&str], now: SystemTime) -> Result<AuditQuery, String> {
    let mut limit: Option<i64> = None;
    let mut since: Option<SystemTime> = None;
    let mut json = false;
    let mut words = args.iter().copied();
    while let Some(word) = words.next() {
        let given = match word.split_once('=') {
            Some(("--since", value)) => Some(value),
            _ if word == "--since" => Some(
                words
                    .next()
                    .ok_or_else(|| format!("`--since` needs a value: {WHEN}"))?,
            ),
            _ => None,
        };
        if let Some(value) = given {
            if since.is_some() {
                return Err("`--since` is given twice; give it once".to_owned());
            }
            since = Some(when(value, now)?);
        } else if word == "--json" {
            json = true;
        } else if word.starts_with('-') && word.parse::<i64>().is_err() {
            return Err(format!(
                "`{word}` is not an option of `audit`; it takes N, --since <when> and --json"
            ));
        } else {
            let n = match word.parse::<i64>() {
                Ok(n) if n > 0 => n,
                _ => return Err(format!("`audit {word}`: N must be a positive whole number")),
            };
            if let Some(first) = limit {
                return Err(format!(
                    "N is given twice (`{first}` and `{n}`); give it once"
                ));
            }
            limit = Some(n);
        }
    }
    if since.is_none() && limit.is_none() {
        limit = Some(DEFAULT_LIMIT);
    }
    Ok(AuditQuery { limit, since, json })
}

/// A `--since` value: a time, or a duration back from `now`.
fn when(value: &str, now: SystemTime) -> Result<SystemTime, String> {
    let value = value.trim();
    let at = match timestamp(value) {
        Some(at) => Some(at),
        None => {
            let back = humantime::parse_duration(value)
                .map_err(|_| format!("`--since {value}` is not {WHEN}"))?;
            now.checked_sub(back)
        }
    };
    at.filter(|t| (SystemTime::UNIX_EPOCH..=crate::store::last_time()).contains(t))
        .ok_or_else(|| format!("`--since {value}` is outside the years 1970 to 9999"))
}

/// An RFC 3339 time, in UTC (`Z`) or with an offset (`+02:00`).
fn timestamp(value: &str) -> Option<SystemTime> {
    if let Ok(at) = humantime::parse_rfc3339(value) {
        return Some(at);
    }
    let split = value.len().checked_sub(6)?;
    let (local, offset) = (value.get(..split)?, value.get(split..)?.as_bytes());
    let ahead = match offset {
        [b'+', .., b':', _, _] => true,
        [b'-', .., b':', _, _] => false,
        _ => return None,
    };
    let digits =
        |pair: &[u8]| -> Option<u64> { std::str::from_utf8(pair).ok()?.parse::<u64>().ok() };
    let (hours, minutes) = (digits(&offset[1..3])?, digits(&offset[4..6])?);
    if hours > 23 || minutes > 59 {
        return None;
    }
    let shift = Duration::from_secs(hours * 3600 + minutes * 60);
    let wall = humantime::parse_rfc3339(&format!("{local}Z")).ok()?;
    if ahead {
        wall.checked_sub(shift)
    } else {
        wall.checked_add(shift)
    }
}

/// One entry as printed: a line for people, or a JSON object (the fields of [`AuditEntry`],
/// absent ones `null`).
pub fn render(entry: &AuditEntry, json: bool) -> String {
    if json {
        serde_json::to_string(entry).unwrap_or_default()
    } else {
        entry.line()
    }
}

/// Prints the entries `query` asks for, oldest first; exit 1 when the store cannot be read.
#[allow(clippy::print_stdout)] // The listing is the command's output.
pub async fn run(settings: &Settings, query: &AuditQuery) -> ExitCode {
    let store = match Store::connect(&settings.database.url).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("chatops-bot: {e}");
            return ExitCode::FAILURE;
        }
    };
    let entries = match (query.since, query.limit) {
        (Some(since), limit) => store.audit_since(since, limit).await,
        (None, limit) => store.recent_audit(limit.unwrap_or(DEFAULT_LIMIT)).await,
    };
    store.close().await;
    match entries {
        Ok(entries) => {
            for e in &entries {
                println!("{}", render(e, query.json));
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("chatops-bot: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> SystemTime {
        humantime::parse_rfc3339(rfc3339).expect("test time")
    }

    #[test]
    fn words_after_audit_parse_into_a_query() {
        let now = at("2026-05-02T12:00:00Z");
        let q = |limit, since: Option<&str>, json| AuditQuery {
            limit,
            since: since.map(at),
            json,
        };
        let table: &[(&[&str], AuditQuery)] = &[
            (&[], q(Some(50), None, false)),
            (&["20"], q(Some(20), None, false)),
            (&["--json"], q(Some(50), None, true)),
            (
                &["--since", "24h"],
                q(None, Some("2026-05-01T12:00:00Z"), false),
            ),
            (
                &["--since=7d", "--json"],
                q(None, Some("2026-04-25T12:00:00Z"), true),
            ),
            (
                &["--since", "30m", "5"],
                q(Some(5), Some("2026-05-02T11:30:00Z"), false),
            ),
            (
                &["--json", "10", "--since", "2026-05-01T09:00:00Z"],
                q(Some(10), Some("2026-05-01T09:00:00Z"), true),
            ),
            (
                &["--since", "2026-05-01T11:00:00+02:00"],
                q(None, Some("2026-05-01T09:00:00Z"), false),
            ),
            (
                &["--since", "2026-05-01T04:30:00-04:30"],
                q(None, Some("2026-05-01T09:00:00Z"), false),
            ),
        ];
        for (args, want) in table {
            assert_eq!(parse(args, now).as_ref(), Ok(want), "{args:?}");
        }
    }

    #[test]
    fn bad_words_are_named_in_one_line() {
        let now = at("2026-05-02T12:00:00Z");
        let table: &[(&[&str], &str)] = &[
            (
                &["--csv"],
                "`--csv` is not an option of `audit`; it takes N, --since <when> and --json",
            ),
            (&["-n", "5"], "`-n` is not an option of `audit`"),
            (&["0"], "`audit 0`: N must be a positive whole number"),
            (&["-3"], "`audit -3`: N must be a positive whole number"),
            (&["lots"], "`audit lots`: N must be a positive whole number"),
            (&["5", "6"], "N is given twice (`5` and `6`); give it once"),
            (
                &["--since"],
                "`--since` needs a value: an RFC 3339 time like 2026-05-01T09:00:00Z",
            ),
            (
                &["--since", "yesterday"],
                "`--since yesterday` is not an RFC 3339 time like",
            ),
            (
                &["--since", "2026-13-01T00:00:00Z"],
                "`--since 2026-13-01T00:00:00Z` is not",
            ),
            (
                &["--since", "2026-05-01T09:00:00+25:00"],
                "is not an RFC 3339 time",
            ),
            (&["--since=", "5"], "`--since ` is not"),
            (
                &["--since", "1h", "--since", "2h"],
                "`--since` is given twice",
            ),
            (
                &["--since", "100000000000d"],
                "`--since 100000000000d` is outside the years 1970 to 9999",
            ),
            (
                &["--since", "1970-01-01T00:30:00+01:00"],
                "is outside the years 1970 to 9999",
            ),
        ];
        for (args, want) in table {
            let err = parse(args, now).expect_err(&format!("{args:?}"));
            assert!(err.contains(want), "{args:?}: {err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }

    #[test]
    fn json_lines_keep_their_field_names_and_absent_ones_are_null() {
        let entry = AuditEntry {
            at: "2026-05-01T09:00:00Z".into(),
            actor: "U0ALICE".into(),
            action: "approve".into(),
            workflow_id: Some("feature-x-1".into()),
            gate: Some("intake".into()),
            decision: Some("approve".into()),
            outcome: "accepted: approved".into(),
            slack_team: None,
            slack_channel: Some("C0DELIVERY".into()),
        };
        assert_eq!(
            render(&entry, true),
            r#"{"at":"2026-05-01T09:00:00Z","actor":"U0ALICE","action":"approve","workflow_id":"feature-x-1","gate":"intake","decision":"approve","outcome":"accepted: approved","slack_team":null,"slack_channel":"C0DELIVERY"}"#
        );
        assert_eq!(
            render(&entry, false),
            "2026-05-01T09:00:00Z U0ALICE approve feature-x-1 gate=intake decision=approve → accepted: approved"
        );
    }
}
