//! Whether an environment's deploy windows let a deploy start now, read on the worker's clock
//! from `deploy.<env>_windows`.

use chatops_common::windows::{DeployWindows, WindowState};
use serde::{Deserialize, Serialize};

/// What a delivery is told before a deploy phase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowVerdict {
    /// Whether a deploy may start now.
    pub open: bool,
    /// When closed: how long until the next window opens.
    pub wait_ms: u64,
    /// When closed: the opening in its window's time zone (`Mon 2026-12-07 09:00 CET`).
    pub opens: String,
    /// The windows as configured.
    pub windows: String,
}

/// The verdict of `windows` at `now` (milliseconds since the epoch); always open without any.
pub fn verdict(windows: Option<&DeployWindows>, now: i64) -> WindowVerdict {
    let Some(windows) = windows else {
        return WindowVerdict {
            open: true,
            wait_ms: 0,
            opens: String::new(),
            windows: String::new(),
        };
    };
    let (open, wait_ms, opens) = match windows.at(now) {
        WindowState::Open { .. } => (true, 0, String::new()),
        WindowState::Closed { opens, opens_text } => (
            false,
            u64::try_from(opens.saturating_sub(now)).unwrap_or(0),
            opens_text,
        ),
    };
    WindowVerdict {
        open,
        wait_ms,
        opens,
        windows: windows.text().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_windows_a_deploy_may_start_at_any_time() {
        assert!(verdict(None, 0).open);
    }

    #[test]
    fn outside_its_windows_a_deploy_waits_until_the_next_opening() {
        let w = DeployWindows::parse("* 10:00-11:00").expect("windows parse");
        let nine = 9 * 3_600_000;
        let v = verdict(Some(&w), nine);
        assert_eq!(
            v,
            WindowVerdict {
                open: false,
                wait_ms: 3_600_000,
                opens: "Thu 1970-01-01 10:00 UTC".to_owned(),
                windows: "* 10:00-11:00".to_owned(),
            }
        );
        assert!(verdict(Some(&w), nine + 3_600_000).open);
    }
}
