//! Deploy windows: when an environment may be deployed to, as `deploy.<env>_windows` spells it,
//! and whether an instant falls inside one (and if not, when the next opens).
//!
//! The format is one or more spans separated by `;`, each `<days> <from>-<to> [<time zone>]`:
//! days as `Mon-Fri`, `Mon,Wed,Fri`, `Sat` or `*` (every day; ranges may wrap, `Fri-Mon`),
//! times as `HH:MM` or `HH:MM:SS` (`24:00` ends at midnight; a `to` before its `from` ends the
//! next day), and an IANA time zone (`Europe/Berlin`), UTC when left out. For example
//! `Mon-Thu 09:00-16:00 Europe/Berlin; Fri 09:00-12:00 Europe/Berlin`.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// Day names as written, Monday first.
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const SECONDS_A_DAY: u32 = 86_400;

/// The windows of one environment.
#[derive(Debug, Clone, PartialEq)]
pub struct DeployWindows {
    spans: Vec<Span>,
    text: String,
}

/// One span: on `days`, from `from` to `to` (seconds of the day) in `zone`.
#[derive(Debug, Clone, PartialEq)]
struct Span {
    /// Monday first.
    days: [bool; 7],
    from: u32,
    to: u32,
    zone: TimeZone,
}

/// Where an instant stands against the windows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowState {
    /// Inside a window that closes at `closes` (milliseconds since the epoch).
    Open { closes: i64 },
    /// Outside every window; the next opens at `opens` (milliseconds since the epoch), shown
    /// in its window's time zone as `opens_text` (`Mon 2026-12-07 09:00 CET`).
    Closed { opens: i64, opens_text: String },
}

impl DeployWindows {
    /// Parses the setting's text; the message names the span that is wrong and why.
    pub fn parse(text: &str) -> Result<Self, String> {
        let spans = text
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Span::parse(s).map_err(|e| format!("`{s}`: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        if spans.is_empty() {
            return Err(
                "no window given; write one like `Mon-Fri 09:00-17:00 Europe/Berlin`".into(),
            );
        }
        Ok(Self {
            spans,
            text: text.trim().to_owned(),
        })
    }

    /// The windows as configured, for people.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Where `now` (milliseconds since the epoch) stands.
    pub fn at(&self, now: i64) -> WindowState {
        let now_ts = Timestamp::from_millisecond(now).unwrap_or(Timestamp::UNIX_EPOCH);
        let mut closes: Option<i64> = None;
        let mut next: Option<(i64, String)> = None;
        for span in &self.spans {
            for (open, close, zoned_open) in span.occurrences(now_ts) {
                if open <= now && now < close {
                    closes = Some(closes.map_or(close, |c| c.max(close)));
                } else if open > now && next.as_ref().is_none_or(|(n, _)| open < *n) {
                    next = Some((open, zoned_open));
                }
            }
        }
        match (closes, next) {
            (Some(closes), _) => WindowState::Open { closes },
            (None, Some((opens, opens_text))) => WindowState::Closed { opens, opens_text },
            // Every span has a day, so one opens within the week looked at.
            (None, None) => WindowState::Open { closes: now },
        }
    }
}

impl Span {
    fn parse(s: &str) -> Result<Self, String> {
        let words: Vec<&str> = s.split_whitespace().collect();
        let (days, times, zone) = match words.as_slice() {
            [d, t] => (*d, *t, None),
            [d, t, z] => (*d, *t, Some(*z)),
            _ => return Err("write `<days> <from>-<to> [<time zone>]`".into()),
        };
        let days = parse_days(days)?;
        let (from, to) = times
            .split_once('-')
            .ok_or_else(|| format!("`{times}` is not a time range like 09:00-17:00"))?;
        let (from, to) = (parse_time(from)?, parse_time(to)?);
        if from == to || from == SECONDS_A_DAY {
            return Err(format!("`{times}` is an empty window"));
        }
        let zone = match zone {
            None => TimeZone::UTC,
            Some(z) => TimeZone::get(z).map_err(|e| format!("`{z}` is not a time zone ({e})"))?,
        };
        Ok(Self {
            days,
            from,
            to,
            zone,
        })
    }

    /// Each opening of this span from the day before `now` to eight days after, in its zone:
    /// (opens, closes, opens as text), milliseconds since the epoch.
    fn occurrences(&self, now: Timestamp) -> Vec<(i64, i64, String)> {
        let mut found = Vec::new();
        let today = now.to_zoned(self.zone.clone()).date();
        let Ok(mut day) = today.yesterday() else {
            return found;
        };
        for _ in 0..10 {
            let weekday = usize::try_from(day.weekday().to_monday_zero_offset()).unwrap_or(0);
            if self.days[weekday]
                && let (Some(open), Some(close)) = (
                    self.instant(day, self.from),
                    self.instant(
                        day,
                        self.to
                            + if self.to <= self.from {
                                SECONDS_A_DAY
                            } else {
                                0
                            },
                    ),
                )
            {
                let text = open
                    .to_zoned(self.zone.clone())
                    .strftime("%a %Y-%m-%d %H:%M %Z")
                    .to_string();
                found.push((open.as_millisecond(), close.as_millisecond(), text));
            }
            match day.tomorrow() {
                Ok(d) => day = d,
                Err(_) => break,
            }
        }
        found
    }

    /// `seconds` after the start of `day` (past midnight rolls on), in this span's zone.
    fn instant(&self, day: Date, seconds: u32) -> Option<Timestamp> {
        let mut day = day;
        let mut seconds = seconds;
        while seconds >= SECONDS_A_DAY {
            day = day.tomorrow().ok()?;
            seconds -= SECONDS_A_DAY;
        }
        let [h, m, s] =
            [seconds / 3600, seconds / 60 % 60, seconds % 60].map(|n| i8::try_from(n).unwrap_or(0));
        let zoned = self.zone.to_zoned(day.at(h, m, s, 0)).ok()?;
        Some(zoned.timestamp())
    }
}

/// `Mon-Fri`, `Mon,Wed,Fri`, `Sat`, `Fri-Mon`, `*`: Monday first.
pub fn parse_days(text: &str) -> Result<[bool; 7], String> {
    let mut days = [false; 7];
    if text == "*" {
        return Ok([true; 7]);
    }
    for part in text.split(',') {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let (a, b) = (day_index(a)?, day_index(b)?);
        let mut d = a;
        loop {
            days[d] = true;
            if d == b {
                break;
            }
            d = (d + 1) % 7;
        }
    }
    Ok(days)
}

fn day_index(name: &str) -> Result<usize, String> {
    let lower = name.trim().to_ascii_lowercase();
    DAYS.iter()
        .position(|d| lower.len() >= 3 && d.starts_with(&lower[..3]) && day_word(&lower, d))
        .ok_or_else(|| {
            format!("`{name}` is not a day; use Mon, Tue, Wed, Thu, Fri, Sat, Sun or `*`")
        })
}

/// Whether `word` is the three-letter day `short` or its full name.
fn day_word(word: &str, short: &str) -> bool {
    const FULL: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    word == short || FULL.iter().any(|f| f.starts_with(short) && *f == word)
}

/// `HH:MM` or `HH:MM:SS`, up to `24:00`, as seconds of the day.
pub fn parse_time(text: &str) -> Result<u32, String> {
    let bad = || format!("`{text}` is not a time like 09:00 or 09:00:30");
    let parts: Vec<u32> = text
        .split(':')
        .map(|p| {
            if p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()) {
                p.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        })
        .collect::<Result<_, _>>()?;
    let (h, m, s) = match parts.as_slice() {
        [h, m] => (*h, *m, 0),
        [h, m, s] => (*h, *m, *s),
        _ => return Err(bad()),
    };
    let seconds = h * 3600 + m * 60 + s;
    if m > 59 || s > 59 || seconds > SECONDS_A_DAY {
        return Err(bad());
    }
    Ok(seconds)
}

#[cfg(test)]
mod tests;
