use super::*;
use chatops_contract::actions::Action;
use chatops_contract::feature::{GateState, Vote};

fn status() -> FeatureStatus {
    serde_json::from_value(serde_json::json!({
        "request": "Add OAuth2 login",
        "requester": "U0REQ",
        "phase": "planning",
        "priority": "high",
        "target_environment": "production",
        "paused": false,
        "pending_gates": [],
        "gates": [],
        "blockers": [],
        "timeline": [],
        "children": [],
        "placeholder_phases": [],
    }))
    .expect("a status")
}

#[test]
fn the_form_carries_the_channel_and_names_each_input() {
    let repos = vec!["acme/web".to_owned(), "acme/api".to_owned()];
    let view = feature_form(&FeatureForm {
        channel: "C0DELIVERY",
        repositories: &repos,
        default_repository: Some("acme/api"),
    });
    let json = serde_json::to_value(&view).expect("serialises");
    assert_eq!(json["type"], "modal");
    assert_eq!(json["callback_id"], FEATURE_FORM);
    assert_eq!(json["private_metadata"], "C0DELIVERY");
    let ids: Vec<&str> = json["blocks"]
        .as_array()
        .expect("blocks")
        .iter()
        .filter_map(|b| b["block_id"].as_str())
        .collect();
    assert_eq!(ids, ["request", "repository", "priority", "target"]);
    assert_eq!(
        json["blocks"][1]["element"]["initial_option"]["value"],
        "acme/api"
    );
    assert_eq!(
        json["blocks"][2]["element"]["initial_option"]["value"],
        "medium"
    );
    assert_eq!(
        json["blocks"][3]["element"]["initial_option"]["value"],
        "production"
    );
}

#[test]
fn without_configured_repositories_the_form_asks_for_one_in_words() {
    let view = feature_form(&FeatureForm {
        channel: "C1",
        repositories: &[],
        default_repository: None,
    });
    let json = serde_json::to_value(&view).expect("serialises");
    assert_eq!(json["blocks"][1]["element"]["type"], "plain_text_input");
    assert_eq!(json["blocks"][1]["optional"], true);
}

#[test]
fn home_lists_waiting_gates_with_buttons_and_votes_so_far() {
    let s = status();
    let gate = Gate {
        name: "production".into(),
        state: GateState::Pending,
        decided_by: None,
        decided_at: None,
        note: None,
        deadline: None,
        required: 2,
        approvals: vec![Vote {
            user: "U0A".into(),
            at: String::new(),
        }],
        escalated: false,
    };
    let approvals = [PendingApproval {
        workflow_id: "feature-add-oauth2-login-1a2b3c4d",
        status: &s,
        gate: &gate,
        ui_link: "http://ui/f",
    }];
    let deliveries = [Delivery {
        workflow_id: "feature-add-oauth2-login-1a2b3c4d",
        status: &s,
        ui_link: "http://ui/f",
    }];
    let view = home(&Home {
        approvals: &approvals,
        deliveries: &deliveries,
        incidents: &[],
        problem: None,
        as_of: "2026-11-21 08:00 UTC",
    });
    let json = serde_json::to_value(&view).expect("serialises");
    assert_eq!(json["type"], "home");
    let (text, buttons) = crate::text::render("", Some(&json["blocks"]), 1);
    assert!(text.contains("Waiting for you (1)"), "{text}");
    assert!(
        text.contains("1 of 2 approvals: <@U0A>") || text.contains("1 of 2 approvals: @U0A"),
        "{text}"
    );
    assert!(text.contains("Active deliveries (1)"), "{text}");
    assert!(text.contains("No open incidents"), "{text}");
    let labels: Vec<&str> = buttons.iter().map(|b| b.label.as_str()).collect();
    assert_eq!(labels, ["Approve", "Reject"]);
    let action =
        Action::decode(&buttons[0].action_id, buttons[0].value.as_deref()).expect("decodes");
    assert_eq!(
        action,
        Action::Approve {
            workflow: "feature-add-oauth2-login-1a2b3c4d".into(),
            gate: "production".into()
        }
    );
}
