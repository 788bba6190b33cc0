//! Freeze calendar entries as people write them, into a Temporal Schedule's spec:
//! `<when> for <duration> [<time zone>]`, where `<when>` is a date and time for a one-off
//! freeze (`2026-12-24 00:00`) or days and a time for a weekly one (`Fri 15:00`, `Mon-Fri 18:00`).

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use std::time::Duration;
use temporalio_client::schedules::{ScheduleCalendarSpec, ScheduleSpec};

use crate::windows::{parse_days, parse_time};

/// A parsed entry: when it starts, how long each start lasts, in which zone.
#[derive(Debug, Clone, PartialEq)]
pub struct FreezeWhen {
    /// The Schedule's calendar.
    pub spec: ScheduleSpec,
    /// How long each occurrence lasts.
    pub lasts: Duration,
    /// As written, with the zone: `Fri 15:00 for 66h Europe/Berlin`.
    pub text: String,
}

/// [`parse`] against the clock.
pub fn parse_now(words: &[&str]) -> Result<FreezeWhen, String> {
    parse(words, Timestamp::now())
}

/// Whether `word` names a time zone (`Europe/Berlin`, `UTC`).
pub fn is_zone(word: &str) -> bool {
    (word.contains('/') || word == "UTC") && TimeZone::get(word).is_ok()
}

/// Parses `words` (`2026-12-24 00:00 for 9d Europe/Berlin`, `Fri 15:00 for 66h`); `now` rules
/// out a one-off start already past. The message says what is wrong.
pub fn parse(words: &[&str], now: Timestamp) -> Result<FreezeWhen, String> {
    let usage = "write `<YYYY-MM-DD HH:MM | days HH:MM> for <duration> [<time zone>]`, like `2026-12-24 00:00 for 9d Europe/Berlin` or `Fri 15:00 for 66h`";
    let (start, time, lasts, zone) = match words {
        [start, time, "for", lasts] => (*start, *time, *lasts, None),
        [start, time, "for", lasts, zone] => (*start, *time, *lasts, Some(*zone)),
        _ => return Err(usage.to_owned()),
    };
    let seconds = parse_time(time)?;
    if seconds >= 86_400 {
        return Err(format!("`{time}` is not a start time; use 00:00 to 23:59"));
    }
    let [hour, minute, second] =
        [seconds / 3600, seconds / 60 % 60, seconds % 60].map(|n| n.to_string());
    let lasts_for = humantime::parse_duration(lasts)
        .map_err(|_| format!("`{lasts}` is not a duration like 9d or 66h"))?;
    if lasts_for < Duration::from_secs(1) || lasts_for > Duration::from_secs(366 * 86_400) {
        return Err(format!("`{lasts}` must be from 1s to 366d"));
    }
    let tz = match zone {
        None => TimeZone::UTC,
        Some(z) => {
            TimeZone::get(z).map_err(|_| format!("`{z}` is not a time zone like Europe/Berlin"))?
        }
    };
    let mut calendar = ScheduleCalendarSpec::builder()
        .hour(hour)
        .minute(minute)
        .second(second)
        .build();
    if let Ok(date) = start.parse::<Date>() {
        let at = date
            .to_datetime(jiff::civil::Time::midnight())
            .checked_add(jiff::SignedDuration::from_secs(i64::from(seconds)))
            .map_err(|e| e.to_string())?;
        let starts = tz.to_zoned(at).map_err(|e| e.to_string())?;
        if starts.timestamp() <= now {
            return Err(format!("{start} {time} has already passed"));
        }
        calendar.year = date.year().to_string();
        calendar.month = date.month().to_string();
        calendar.day_of_month = date.day().to_string();
    } else {
        let days = parse_days(start).map_err(|_| {
            format!("`{start}` is neither a date like 2026-12-24 nor days like Fri or Mon-Fri")
        })?;
        // Temporal counts the days of the week from Sunday (0).
        let listed: Vec<String> = days
            .iter()
            .enumerate()
            .filter(|(_, on)| **on)
            .map(|(monday_first, _)| ((monday_first + 1) % 7).to_string())
            .collect();
        calendar.day_of_week = listed.join(",");
    }
    let zone_name = zone.unwrap_or("UTC").to_owned();
    let mut spec = ScheduleSpec::from_calendar(calendar);
    spec.timezone_name = zone_name.clone();
    Ok(FreezeWhen {
        spec,
        lasts: lasts_for,
        text: format!("{start} {time} for {lasts} {zone_name}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-12-03T12:00:00Z".parse().expect("a timestamp")
    }

    #[test]
    fn a_one_off_freeze_is_one_calendar_date_in_its_zone() {
        let w = parse(
            &["2026-12-24", "00:00", "for", "9d", "Europe/Berlin"],
            now(),
        )
        .expect("parses");
        let c = &w.spec.calendars[0];
        assert_eq!(
            (c.year.as_str(), c.month.as_str(), c.day_of_month.as_str()),
            ("2026", "12", "24")
        );
        assert_eq!(
            (c.hour.as_str(), c.minute.as_str(), c.second.as_str()),
            ("0", "0", "0")
        );
        assert_eq!(w.spec.timezone_name, "Europe/Berlin");
        assert_eq!(w.lasts, Duration::from_secs(9 * 86_400));
        assert_eq!(w.text, "2026-12-24 00:00 for 9d Europe/Berlin");
    }

    #[test]
    fn a_weekly_freeze_counts_days_from_sunday_as_temporal_does() {
        let w = parse(&["Fri", "15:00:30", "for", "66h"], now()).expect("parses");
        let c = &w.spec.calendars[0];
        assert_eq!(c.day_of_week, "5");
        assert_eq!(
            (c.hour.as_str(), c.minute.as_str(), c.second.as_str()),
            ("15", "0", "30")
        );
        assert_eq!(w.spec.timezone_name, "UTC");
        let w = parse(&["Sat-Mon", "00:00", "for", "1h"], now()).expect("parses");
        assert_eq!(w.spec.calendars[0].day_of_week, "1,6,0");
    }

    #[test]
    fn mistakes_say_what_is_wrong() {
        for (words, says) in [
            (vec!["Fri", "15:00"], "write `<YYYY-MM-DD HH:MM"),
            (
                vec!["Funday", "15:00", "for", "1h"],
                "`Funday` is neither a date",
            ),
            (vec!["Fri", "3pm", "for", "1h"], "`3pm` is not a time"),
            (
                vec!["Fri", "15:00", "for", "soon"],
                "`soon` is not a duration",
            ),
            (
                vec!["Fri", "15:00", "for", "1h", "Mars/Base"],
                "`Mars/Base` is not a time zone",
            ),
            (
                vec!["2026-12-01", "00:00", "for", "1h"],
                "has already passed",
            ),
            (vec!["Fri", "24:00", "for", "1h"], "is not a start time"),
        ] {
            let err = parse(&words, now()).expect_err("a mistake");
            assert!(err.contains(says), "{words:?} → {err}");
        }
    }
}
