//! `ContinuousMonitoring`'s routing rules, free of Temporal: which alert opens an incident,
//! which joins one, which is dropped.

use chatops_contract::incident::{Alert, AlertStatus, MonitorStats, OpenIncident};

/// What to do with one alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// Open a new incident with this id.
    Open(String),
    /// Forward to the open incident with this id.
    Join(String),
    /// Drop it; the reason is logged.
    Drop(String),
}

/// Routes `alert`, updating `stats`. `new_id` names the incident if one is opened; `at` is
/// RFC 3339 workflow time.
pub fn route(stats: &mut MonitorStats, alert: &Alert, new_id: &str, at: &str) -> Route {
    stats.alerts_seen += 1;
    if let Some(open) = stats
        .open
        .iter_mut()
        .find(|o| o.fingerprint == alert.fingerprint)
    {
        // A hand-opened incident's fingerprint comes from the Slack invocation: a repeat is the
        // same request redelivered, not news.
        if alert.source == "manual" {
            stats.ignored += 1;
            return Route::Drop(format!(
                "repeated request for {} (a retried Slack envelope)",
                open.id
            ));
        }
        open.alerts += 1;
        stats.deduplicated += 1;
        return Route::Join(open.id.clone());
    }
    if alert.status == AlertStatus::Resolved {
        stats.ignored += 1;
        return Route::Drop(format!(
            "resolved alert {} matches no open incident",
            alert.fingerprint
        ));
    }
    stats.incidents_opened += 1;
    stats.open.push(OpenIncident {
        id: new_id.to_owned(),
        fingerprint: alert.fingerprint.clone(),
        service: alert.service.clone(),
        summary: alert.summary.clone(),
        severity: alert.severity,
        opened_at: at.to_owned(),
        alerts: 1,
    });
    stats.open_now = stats.open.len() as u64;
    Route::Open(new_id.to_owned())
}

/// Routes `alert` again after the incident it joined turned out to be gone (its swarm failed,
/// was terminated or timed out, so no closing signal ever came): that incident is forgotten and
/// the alert counted as news, so it opens a new incident rather than being lost.
pub fn reroute_gone(
    stats: &mut MonitorStats,
    gone: &str,
    alert: &Alert,
    new_id: &str,
    at: &str,
) -> Route {
    close(stats, gone);
    // `route` counted this alert as seen and as a repeat of the gone incident.
    stats.alerts_seen = stats.alerts_seen.saturating_sub(1);
    stats.deduplicated = stats.deduplicated.saturating_sub(1);
    route(stats, alert, new_id, at)
}

/// Forgets a closed incident; true when it was open.
pub fn close(stats: &mut MonitorStats, id: &str) -> bool {
    let before = stats.open.len();
    stats.open.retain(|o| o.id != id);
    stats.open_now = stats.open.len() as u64;
    before != stats.open.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatops_contract::incident::Severity;

    fn alert(fp: &str, status: AlertStatus, source: &str) -> Alert {
        Alert {
            fingerprint: fp.into(),
            service: "checkout".into(),
            summary: "errors".into(),
            severity: Severity::High,
            status,
            labels: Default::default(),
            source: source.into(),
        }
    }

    #[test]
    fn an_alert_for_a_gone_incident_opens_a_new_one_counted_once() {
        let mut s = MonitorStats::default();
        let firing = alert("fp", AlertStatus::Firing, "alertmanager");
        route(&mut s, &firing, "incident-a", "t0");
        assert_eq!(
            route(&mut s, &firing, "incident-b", "t1"),
            Route::Join("incident-a".into())
        );
        assert_eq!(
            reroute_gone(&mut s, "incident-a", &firing, "incident-b", "t1"),
            Route::Open("incident-b".into())
        );
        assert_eq!(
            (
                s.alerts_seen,
                s.deduplicated,
                s.incidents_opened,
                s.open_now
            ),
            (2, 0, 2, 1)
        );
        assert_eq!(s.open[0].id, "incident-b");
    }

    #[test]
    fn repeats_join_the_open_incident_until_it_closes() {
        let mut s = MonitorStats::default();
        let firing = alert("fp", AlertStatus::Firing, "alertmanager");
        assert_eq!(
            route(&mut s, &firing, "incident-a", "t"),
            Route::Open("incident-a".into())
        );
        assert_eq!(
            route(&mut s, &firing, "incident-b", "t"),
            Route::Join("incident-a".into())
        );
        assert_eq!(
            route(
                &mut s,
                &alert("fp", AlertStatus::Resolved, "alertmanager"),
                "incident-c",
                "t"
            ),
            Route::Join("incident-a".into())
        );
        assert_eq!(
            (
                s.alerts_seen,
                s.deduplicated,
                s.incidents_opened,
                s.open_now
            ),
            (3, 2, 1, 1)
        );
        assert_eq!(s.open[0].alerts, 3);
        assert!(close(&mut s, "incident-a"));
        assert!(!close(&mut s, "incident-a"));
        assert_eq!(
            route(&mut s, &firing, "incident-d", "t"),
            Route::Open("incident-d".into())
        );
        assert_eq!(s.incidents_opened, 2);
    }

    #[test]
    fn other_fingerprints_open_their_own_incidents() {
        let mut s = MonitorStats::default();
        route(
            &mut s,
            &alert("a", AlertStatus::Firing, "generic"),
            "incident-a",
            "t",
        );
        route(
            &mut s,
            &alert("b", AlertStatus::Firing, "generic"),
            "incident-b",
            "t",
        );
        assert_eq!(s.open_now, 2);
    }

    #[test]
    fn stray_resolutions_and_redelivered_requests_are_dropped() {
        let mut s = MonitorStats::default();
        let stray = route(
            &mut s,
            &alert("x", AlertStatus::Resolved, "alertmanager"),
            "incident-x",
            "t",
        );
        assert!(matches!(stray, Route::Drop(ref w) if w.contains("matches no open incident")));
        let manual = alert("manual-1", AlertStatus::Firing, "manual");
        assert_eq!(
            route(&mut s, &manual, "incident-m", "t"),
            Route::Open("incident-m".into())
        );
        assert!(matches!(
            route(&mut s, &manual, "incident-n", "t"),
            Route::Drop(_)
        ));
        assert_eq!((s.ignored, s.incidents_opened, s.open[0].alerts), (2, 1, 1));
    }
}
