use super::*;
use chatops_contract::incident::Severity;

fn alert(status: AlertStatus) -> Alert {
    Alert {
        fingerprint: "fp1".into(),
        service: "checkout".into(),
        summary: "5xx above 5%".into(),
        severity: Severity::High,
        status,
        labels: Default::default(),
        source: "alertmanager".into(),
    }
}

fn incident() -> Incident {
    Incident::new(
        "incident-1",
        IncidentInput {
            alert: alert(AlertStatus::Firing),
            opened_by: None,
            monitor: None,
            carried: None,
        },
        "2026-01-01T00:00:00Z",
    )
}

fn group(root: &str, score: f64) -> ConsensusGroup {
    ConsensusGroup {
        category: "database".into(),
        root_cause: root.into(),
        agents: vec!["agent-1".into()],
        mean_confidence: score,
        agreement: 1.0,
        score,
    }
}

fn with_candidates(i: &mut Incident) {
    let groups = vec![group("pool exhausted", 0.4), group("slow query", 0.3)];
    let verdict = Consensus {
        best: groups[0].clone(),
        runner_up: Some(groups[1].clone()),
        confidence: 0.4,
        auto_fix: false,
        groups,
    };
    i.decided(
        Vec::new(),
        ConsensusPolicy::default(),
        Ok(verdict),
        "2026-01-01T00:01:00Z",
    );
}

#[test]
fn acknowledging_once_makes_a_commander_and_twice_changes_nothing() {
    let mut i = incident();
    let ack = |u: &str| Acknowledge { user: u.into() };
    assert_eq!(
        i.acknowledge(&ack("U1"), "2026-01-01T00:02:00Z"),
        Outcome::Applied
    );
    assert_eq!(i.status.commander.as_deref(), Some("U1"));
    let second = i.acknowledge(&ack("U2"), "2026-01-01T00:03:00Z");
    assert!(matches!(second, Outcome::Ignored(ref w) if w.contains("already acknowledged by U1")));
    assert_eq!(i.status.acknowledged_by.as_deref(), Some("U1"));
    assert_eq!(i.pending.len(), 1, "one note for one acknowledgement");
}

#[test]
fn a_choice_must_name_an_existing_candidate() {
    let mut i = incident();
    let choose = |index| ChooseDiagnosis {
        index,
        user: "U1".into(),
    };
    assert!(
        matches!(i.choose(&choose(0), "t"), Outcome::Ignored(ref w) if w.contains("no candidates"))
    );
    with_candidates(&mut i);
    assert!(
        matches!(i.choose(&choose(2), "t"), Outcome::Ignored(ref w) if w.contains("there are 2"))
    );
    assert_eq!(
        i.choose(&choose(1), "2026-01-01T00:05:00Z"),
        Outcome::Applied
    );
    assert_eq!(i.status.state, IncidentState::Mitigating);
    assert_eq!(
        i.standing().map(|g| g.root_cause.as_str()),
        Some("slow query")
    );
    assert!(
        matches!(i.choose(&choose(1), "t"), Outcome::Ignored(ref w) if w.contains("already chosen"))
    );
}

#[test]
fn nothing_changes_a_resolved_incident() {
    let mut i = incident();
    with_candidates(&mut i);
    let r = Resolve {
        user: "U1".into(),
        summary: "restarted the pool".into(),
    };
    assert_eq!(i.resolve(&r, "2026-01-01T00:30:00Z"), Outcome::Applied);
    assert!(matches!(i.resolve(&r, "t"), Outcome::Ignored(_)));
    assert!(matches!(
        i.choose(
            &ChooseDiagnosis {
                index: 0,
                user: "U1".into()
            },
            "t"
        ),
        Outcome::Ignored(_)
    ));
    assert!(matches!(
        i.rollback(
            &Rollback {
                user: "U1".into(),
                reason: "x".into()
            },
            "t"
        ),
        Outcome::Ignored(_)
    ));
    assert!(matches!(
        i.alert(&alert(AlertStatus::Firing), "t"),
        Outcome::Ignored(_)
    ));
    assert_eq!(i.status.state, IncidentState::Resolved);
    assert!(i.pending.is_empty());
}

#[test]
fn repeats_are_counted_and_a_resolved_alert_is_announced() {
    let mut i = incident();
    i.alert(&alert(AlertStatus::Firing), "t");
    assert_eq!(i.status.alerts, 2);
    assert!(i.pending.is_empty());
    i.alert(&alert(AlertStatus::Resolved), "t");
    assert_eq!(i.status.alerts, 3);
    assert!(
        matches!(i.pending.front(), Some(Pending::Note(_, t)) if t.contains("reports the alert resolved"))
    );
}

#[test]
fn a_storm_of_repeats_is_one_counted_timeline_entry() {
    let mut i = incident();
    let before = i.status.timeline.len();
    for n in 0..500 {
        i.alert(&alert(AlertStatus::Firing), &format!("t{n}"));
    }
    assert_eq!(i.status.alerts, 501);
    assert_eq!(i.status.timeline.len(), before + 1);
    let last = i.status.timeline.last().expect("an entry");
    assert!(
        last.event.starts_with("alert repeated 500 times: "),
        "{}",
        last.event
    );
    assert_eq!(last.at, "t499");
    // Anything else in between starts a new count.
    i.acknowledge(&Acknowledge { user: "U1".into() }, "t500");
    i.alert(&alert(AlertStatus::Firing), "t501");
    assert!(
        i.status
            .timeline
            .last()
            .expect("an entry")
            .event
            .starts_with("alert repeated: ")
    );
}

#[test]
fn a_continued_incident_keeps_what_the_card_timeline_and_postmortem_need() {
    let mut i = incident();
    i.acknowledge(&Acknowledge { user: "U1".into() }, "2026-01-01T00:02:00Z");
    with_candidates(&mut i);
    i.alert(&alert(AlertStatus::Firing), "2026-01-01T00:03:00Z");
    let carried = i.carry(super::Stage::AwaitingResolution, 1, i.card_version);
    let json = serde_json::to_value(&carried).expect("serialisable");
    let back: super::Carried = serde_json::from_value(json).expect("readable");
    let resumed = Incident::resume(i.input.clone(), back);
    assert_eq!(resumed.status, i.status);
    assert_eq!(resumed.card_version, i.card_version);
    assert_eq!(resumed.candidates(), i.candidates());
    assert_eq!(resumed.postmortem(), i.postmortem());
    assert!(resumed.pending.is_empty() && resumed.input.carried.is_none());
}

#[test]
fn the_postmortem_shows_the_arithmetic_and_response_times() {
    let mut i = incident();
    i.acknowledge(&Acknowledge { user: "U1".into() }, "2026-01-01T00:02:00Z");
    with_candidates(&mut i);
    i.choose(
        &ChooseDiagnosis {
            index: 0,
            user: "U1".into(),
        },
        "2026-01-01T00:10:00Z",
    );
    i.resolve(
        &Resolve {
            user: "U1".into(),
            summary: "raised the pool size".into(),
        },
        "2026-01-01T01:00:00Z",
    );
    let pm = i.postmortem();
    for want in [
        "# Postmortem: checkout — 5xx above 5%",
        "- Time to acknowledge: 2m",
        "- Time to mitigate: 10m",
        "- Time to resolve: 1h",
        "1. pool exhausted (database): 0.40 × 1.00 = 0.40",
        "below the threshold, so a human chose",
        "Diagnosis that stood: pool exhausted",
        "- Resolution: raised the pool size",
    ] {
        assert!(pm.contains(want), "missing {want:?} in\n{pm}");
    }
}
