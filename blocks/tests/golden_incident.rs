//! Golden JSON for the incident and emergency-stop builders.

use chatops_blocks::{freeze, incident};
use chatops_contract::actions::Action;
use chatops_contract::freeze::FreezeStatus;
use chatops_contract::incident::{
    Consensus, ConsensusGroup, ConsensusPolicy, ConsensusReport, IncidentEvent, IncidentState,
    IncidentStatus, Severity,
};

const ID: &str = "incident-3f9a1c2b4d";
const LINK: &str = "http://127.0.0.1:8233/namespaces/default/workflows/incident-3f9a1c2b4d";

fn json(m: &chatops_blocks::Message) -> serde_json::Value {
    serde_json::json!({"text": m.text, "blocks": m.blocks})
}

fn status(state: IncidentState, acknowledged: bool) -> IncidentStatus {
    IncidentStatus {
        id: ID.into(),
        service: "checkout".into(),
        summary: "5xx above 5% <since> & rising".into(),
        severity: Severity::High,
        state,
        commander: acknowledged.then(|| "U0ONCALL".into()),
        acknowledged_by: acknowledged.then(|| "U0ONCALL".into()),
        alerts: 3,
        opened_at: "2026-11-21T10:00:00Z".into(),
        acknowledged_at: acknowledged.then(|| "2026-11-21T10:02:00Z".into()),
        mitigated_at: None,
        resolved_at: None,
        chosen: None,
        confidence: Some(0.85),
        card: None,
        timeline: vec![IncidentEvent {
            at: "2026-11-21T10:00:00Z".into(),
            event: "opened by a alertmanager alert".into(),
            by: None,
        }],
    }
}

fn groups() -> Vec<ConsensusGroup> {
    vec![
        ConsensusGroup {
            category: "deploy".into(),
            root_cause: "bad deploy of version 42".into(),
            agents: vec!["agent-2".into()],
            mean_confidence: 0.7,
            agreement: 1.0 / 3.0,
            score: 0.7 / 3.0,
        },
        ConsensusGroup {
            category: "database".into(),
            root_cause: "connection pool exhausted".into(),
            agents: vec!["agent-1".into()],
            mean_confidence: 0.6,
            agreement: 1.0 / 3.0,
            score: 0.2,
        },
    ]
}

#[test]
fn incident_card_in_triage_offers_every_button() {
    insta::assert_json_snapshot!(json(&incident::card(
        &status(IncidentState::Triage, false),
        LINK
    )));
}

#[test]
fn incident_card_resolved_has_no_buttons() {
    let card = incident::card(&status(IncidentState::Resolved, true), LINK);
    insta::assert_json_snapshot!(json(&card));
}

#[test]
fn consensus_below_the_threshold_shows_its_arithmetic() {
    let g = groups();
    let report = ConsensusReport {
        policy: ConsensusPolicy::default(),
        verdict: Some(Consensus {
            best: g[0].clone(),
            runner_up: Some(g[1].clone()),
            confidence: g[0].score,
            auto_fix: false,
            groups: g,
        }),
        error: None,
    };
    insta::assert_json_snapshot!(json(&incident::consensus(&report, 3)));
}

#[test]
fn candidates_carry_one_choose_button_each() {
    let m = incident::candidates(
        ID,
        &groups(),
        "Without a pick, <!subteam^S0ONCALL> is paged in 30m.",
    );
    insta::assert_json_snapshot!(json(&m));
    let (_, buttons) = chatops_blocks::text::render("", Some(&json(&m)["blocks"]), 1);
    let decoded: Vec<Action> = buttons
        .iter()
        .map(|b| Action::decode(&b.action_id, b.value.as_deref()).expect("decodes"))
        .collect();
    assert_eq!(
        decoded,
        [0, 1].map(|index| Action::ChooseDiagnosis {
            workflow: ID.into(),
            index
        })
    );
}

#[test]
fn emergency_stop_confirmation_is_behind_a_dialog() {
    let m = freeze::confirm("orders <corrupted>");
    insta::assert_json_snapshot!(json(&m));
    assert_eq!(
        json(&m)["blocks"][1]["elements"][0]["confirm"]["confirm"]["text"],
        "Engage emergency stop"
    );
}

#[test]
fn freeze_status_says_who_and_why() {
    let s = FreezeStatus {
        engaged: true,
        engaged_by: Some("U0ONCALL".into()),
        reason: Some("orders corrupted".into()),
        since: Some("2026-11-21T10:00:00Z".into()),
        ..FreezeStatus::default()
    };
    insta::assert_json_snapshot!(json(&freeze::status(&s)));
}
