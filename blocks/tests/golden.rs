//! Golden JSON for every builder: what Slack receives, reviewed as a snapshot.

use chatops_blocks::feature::{self, ApprovalView, CardView};
use chatops_contract::feature::{
    DeliveryKind, Environment, FeatureStatus, Gate, GateState, MessageRef, Phase, Priority,
    TimelineEntry,
};

const LINK: &str =
    "http://127.0.0.1:8233/namespaces/default/workflows/feature-add-oauth2-login-1a2b3c4d";
const ID: &str = "feature-add-oauth2-login-1a2b3c4d";

fn status(phase: Phase, gate: GateState) -> FeatureStatus {
    let decided = gate != GateState::Pending;
    let placeholder = phase == Phase::Planning;
    FeatureStatus {
        request: "Add OAuth2 login <with> & PKCE".into(),
        requester: "U0REQUESTER".into(),
        phase,
        priority: Priority::High,
        target_environment: Environment::Production,
        paused: false,
        pending_gates: vec![],
        gates: vec![Gate {
            name: "intake".into(),
            state: gate,
            decided_by: decided.then(|| "U0APPROVER".into()),
            decided_at: decided.then(|| "2026-11-21T10:00:00Z".into()),
            note: decided.then(|| "looks <good>".into()),
            deadline: Some("2026-11-22T09:00:00Z".into()),
            required: 0,
            approvals: vec![],
            escalated: false,
        }],
        blockers: vec![],
        timeline: vec![TimelineEntry {
            at: "2026-11-21T10:00:05Z".into(),
            phase: Some(phase),
            event: None,
            by: None,
            placeholder,
        }],
        children: vec![],
        placeholder_phases: if placeholder {
            vec![Phase::Planning]
        } else {
            vec![]
        },
        card: Some(MessageRef {
            channel: "C0DELIVERY".into(),
            ts: "1700000000.000100".into(),
        }),
        links: Default::default(),
        kind: DeliveryKind::Feature,
        held: None,
    }
}

fn json(m: &chatops_blocks::Message) -> serde_json::Value {
    serde_json::json!({"text": m.text, "blocks": m.blocks})
}

#[test]
fn card_at_intake() {
    let s = status(Phase::Intake, GateState::Pending);
    insta::assert_json_snapshot!(json(&feature::card(&CardView {
        workflow_id: ID,
        status: &s,
        ui_link: LINK
    })));
}

#[test]
fn card_in_a_placeholder_phase_after_approval() {
    let s = status(Phase::Planning, GateState::Approved);
    insta::assert_json_snapshot!(json(&feature::card(&CardView {
        workflow_id: ID,
        status: &s,
        ui_link: LINK
    })));
}

#[test]
fn a_patch_is_titled_as_one() {
    let s = FeatureStatus {
        kind: DeliveryKind::Patch,
        ..status(Phase::Development, GateState::Pending)
    };
    let card = feature::card(&CardView {
        workflow_id: ID,
        status: &s,
        ui_link: LINK,
    });
    assert!(
        card.text.starts_with(&format!("Patch {ID}: ")),
        "{}",
        card.text
    );
    assert_eq!(
        json(&card)["blocks"][0]["text"]["text"],
        "Patch: Add OAuth2 login <with> & PKCE"
    );
}

#[test]
fn approval_request_with_buttons() {
    let view = ApprovalView {
        workflow_id: ID,
        gate: "intake",
        request: "Add OAuth2 login <with> & PKCE",
        requester: "U0REQUESTER",
        timeout: "in 24h",
        on_timeout: "rejected",
        detail: None,
    };
    insta::assert_json_snapshot!(json(&feature::approval_request(&view)));
}

#[test]
fn approval_decided_and_timed_out() {
    let s = status(Phase::Rejected, GateState::TimedOut);
    insta::assert_json_snapshot!(json(&feature::approval_decided(ID, &s.gates[0])));
}

#[test]
fn status_reply() {
    let s = status(Phase::Planning, GateState::Approved);
    insta::assert_json_snapshot!(json(&feature::status(ID, &s, LINK)));
}

#[test]
fn approval_buttons_decode_to_their_gate() {
    use chatops_contract::actions::Action;
    let view = ApprovalView {
        workflow_id: ID,
        gate: "intake",
        request: "x",
        requester: "U1",
        timeout: "in 1h",
        on_timeout: "rejected",
        detail: None,
    };
    let (_, buttons) = chatops_blocks::text::render(
        "",
        Some(&json(&feature::approval_request(&view))["blocks"]),
        1,
    );
    let decoded: Vec<Action> = buttons
        .iter()
        .map(|b| Action::decode(&b.action_id, b.value.as_deref()).expect("decodes"))
        .collect();
    assert_eq!(
        decoded,
        [
            Action::Approve {
                workflow: ID.into(),
                gate: "intake".into()
            },
            Action::Reject {
                workflow: ID.into(),
                gate: "intake".into()
            },
        ]
    );
}
