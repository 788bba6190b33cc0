use super::*;

fn ms(rfc3339: &str) -> i64 {
    rfc3339
        .parse::<Timestamp>()
        .expect("a timestamp")
        .as_millisecond()
}

const OFFICE: &str = "Mon-Fri 09:00-17:00 Europe/Berlin";

#[test]
fn inside_a_window_it_is_open_until_the_window_closes() {
    let w = DeployWindows::parse(OFFICE).expect("windows parse");
    // Friday 10:00 in Berlin (CET, UTC+1).
    assert_eq!(
        w.at(ms("2026-12-04T09:00:00Z")),
        WindowState::Open {
            closes: ms("2026-12-04T16:00:00Z")
        }
    );
}

#[test]
fn after_friday_closes_the_next_window_is_monday_morning_in_its_own_zone() {
    let w = DeployWindows::parse(OFFICE).expect("windows parse");
    assert_eq!(
        w.at(ms("2026-12-04T16:30:00Z")),
        WindowState::Closed {
            opens: ms("2026-12-07T08:00:00Z"),
            opens_text: "Mon 2026-12-07 09:00 CET".to_owned()
        }
    );
}

#[test]
fn summer_time_moves_the_opening_in_utc() {
    let w = DeployWindows::parse(OFFICE).expect("windows parse");
    let WindowState::Closed { opens, opens_text } = w.at(ms("2027-06-05T12:00:00Z")) else {
        panic!("a Saturday is outside Mon-Fri");
    };
    assert_eq!(opens, ms("2027-06-07T07:00:00Z"));
    assert_eq!(opens_text, "Mon 2027-06-07 09:00 CEST");
}

#[test]
fn a_window_past_midnight_belongs_to_the_day_it_starts() {
    let w = DeployWindows::parse("Sat 22:00-02:00").expect("windows parse");
    // Sunday 01:00 UTC is inside Saturday's window.
    assert_eq!(
        w.at(ms("2026-12-06T01:00:00Z")),
        WindowState::Open {
            closes: ms("2026-12-06T02:00:00Z")
        }
    );
    // Sunday 03:00 waits for next Saturday.
    assert!(matches!(
        w.at(ms("2026-12-06T03:00:00Z")),
        WindowState::Closed { opens, .. } if opens == ms("2026-12-12T22:00:00Z")
    ));
}

#[test]
fn day_ranges_wrap_and_lists_mix_with_ranges() {
    let weekend = DeployWindows::parse("Fri-Mon 00:00-24:00").expect("windows parse");
    for (at, open) in [
        ("2026-12-04T12:00:00Z", true),  // Friday
        ("2026-12-07T23:59:59Z", true),  // Monday
        ("2026-12-08T00:00:00Z", false), // Tuesday
    ] {
        assert_eq!(
            matches!(weekend.at(ms(at)), WindowState::Open { .. }),
            open,
            "{at}"
        );
    }
    let mixed = DeployWindows::parse("mon,WED-thursday 10:00-11:00").expect("windows parse");
    assert_eq!(
        mixed.spans[0].days,
        [true, false, true, true, false, false, false]
    );
}

#[test]
fn of_several_spans_the_soonest_opening_is_named() {
    let w = DeployWindows::parse("Mon-Thu 09:00-16:00 Europe/Berlin; Fri 09:00-12:00 UTC")
        .expect("windows parse");
    // Friday 11:30 UTC: the UTC span is open, the Berlin one is not for Fridays.
    assert_eq!(
        w.at(ms("2026-12-04T11:30:00Z")),
        WindowState::Open {
            closes: ms("2026-12-04T12:00:00Z")
        }
    );
    assert_eq!(
        w.text(),
        "Mon-Thu 09:00-16:00 Europe/Berlin; Fri 09:00-12:00 UTC"
    );
}

#[test]
fn seconds_are_honoured() {
    let w = DeployWindows::parse("* 10:00:15-10:00:45").expect("windows parse");
    assert_eq!(
        w.at(ms("2026-12-04T10:00:00Z")),
        WindowState::Closed {
            opens: ms("2026-12-04T10:00:15Z"),
            opens_text: "Fri 2026-12-04 10:00 UTC".to_owned()
        }
    );
    assert!(matches!(
        w.at(ms("2026-12-04T10:00:30Z")),
        WindowState::Open { .. }
    ));
}

#[test]
fn mistakes_name_the_span_and_what_is_wrong() {
    for (text, says) in [
        ("", "no window given"),
        ("Mon-Fri", "write `<days> <from>-<to> [<time zone>]`"),
        ("Funday 09:00-10:00", "`Funday` is not a day"),
        ("Mon 9-17", "`9` is not a time like 09:00"),
        ("Mon 09:00-25:00", "`25:00` is not a time"),
        ("Mon 09:00-09:00", "`09:00-09:00` is an empty window"),
        (
            "Mon 09:00-17:00 Mars/Olympus",
            "`Mars/Olympus` is not a time zone",
        ),
        (
            "Mon 09:00-17:00; Tue 0900-1000",
            "`Tue 0900-1000`: `0900` is not a time",
        ),
    ] {
        let err = DeployWindows::parse(text).expect_err("a mistake");
        assert!(err.contains(says), "{text:?} → {err}");
    }
}
