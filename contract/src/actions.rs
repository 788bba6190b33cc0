//! Button actions: what a Slack button means, encoded into its `action_id` and `value`.
//!
//! The worker puts buttons on cards; the bot decodes the clicks. Both go through this one codec,
//! so a button can never carry something the bot does not understand.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Prefix of every action id this app emits; anything else is not ours.
const PREFIX: &str = "chatops.";
/// Slack's limit on a button's value.
const MAX_VALUE_LEN: usize = 2000;

/// A button press, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Approve `gate` of `workflow`.
    Approve {
        /// Workflow id.
        workflow: String,
        /// Gate name.
        gate: String,
    },
    /// Reject `gate` of `workflow`.
    Reject {
        /// Workflow id.
        workflow: String,
        /// Gate name.
        gate: String,
    },
    /// Acknowledge incident `workflow`.
    Acknowledge {
        /// Workflow id.
        workflow: String,
    },
    /// Run the rollback for incident `workflow`.
    Rollback {
        /// Workflow id.
        workflow: String,
    },
    /// Resolve incident `workflow`.
    Resolve {
        /// Workflow id.
        workflow: String,
    },
    /// Pick candidate `index` as incident `workflow`'s diagnosis.
    ChooseDiagnosis {
        /// Workflow id.
        workflow: String,
        /// Candidate index, from 0.
        index: usize,
    },
    /// Engage the emergency stop, confirmed.
    EngageFreeze {
        /// Why, as typed after `/emergency-stop`.
        reason: String,
    },
    /// Don't engage it after all.
    CancelFreeze,
}

/// Why a button press could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// The action id is not one this app emits (another app's button, or a newer version's).
    UnknownAction(String),
    /// The action id is ours but its value is not what that action carries.
    MalformedValue {
        /// The action id.
        action_id: String,
        /// What was wrong.
        reason: String,
    },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownAction(id) => write!(f, "unknown action `{id}`"),
            Self::MalformedValue { action_id, reason } => {
                write!(f, "malformed value for action `{action_id}`: {reason}")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GateValue {
    #[serde(rename = "w")]
    workflow: String,
    #[serde(rename = "g")]
    gate: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IncidentValue {
    #[serde(rename = "w")]
    workflow: String,
    #[serde(rename = "i", default, skip_serializing_if = "Option::is_none")]
    index: Option<usize>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FreezeValue {
    #[serde(rename = "r", default)]
    reason: String,
}

impl Action {
    /// The `(action_id, value)` pair to put on a button.
    pub fn encode(&self) -> (String, String) {
        let gate = |workflow: &String, gate: &String| {
            serde_json::to_string(&GateValue {
                workflow: workflow.clone(),
                gate: gate.clone(),
            })
        };
        let incident = |workflow: &String, index: Option<usize>| {
            serde_json::to_string(&IncidentValue {
                workflow: workflow.clone(),
                index,
            })
        };
        let (name, value) = match self {
            Self::Approve { workflow, gate: g } => ("approve", gate(workflow, g)),
            Self::Reject { workflow, gate: g } => ("reject", gate(workflow, g)),
            Self::Acknowledge { workflow } => ("acknowledge", incident(workflow, None)),
            Self::Rollback { workflow } => ("rollback", incident(workflow, None)),
            Self::Resolve { workflow } => ("resolve", incident(workflow, None)),
            Self::ChooseDiagnosis { workflow, index } => {
                ("choose_diagnosis", incident(workflow, Some(*index)))
            }
            Self::EngageFreeze { reason } => (
                "engage_freeze",
                serde_json::to_string(&FreezeValue {
                    reason: reason.clone(),
                }),
            ),
            Self::CancelFreeze => (
                "cancel_freeze",
                serde_json::to_string(&FreezeValue {
                    reason: String::new(),
                }),
            ),
        };
        // Serializing strings and a number into JSON cannot fail.
        (format!("{PREFIX}{name}"), value.unwrap_or_default())
    }

    /// Decodes a button press from its `action_id` and `value`.
    pub fn decode(action_id: &str, value: Option<&str>) -> Result<Self, DecodeError> {
        let name = action_id
            .strip_prefix(PREFIX)
            .ok_or_else(|| DecodeError::UnknownAction(action_id.to_owned()))?;
        let malformed = |reason: String| DecodeError::MalformedValue {
            action_id: action_id.to_owned(),
            reason,
        };
        let value = value.ok_or_else(|| malformed("the button has no value".to_owned()))?;
        if value.len() > MAX_VALUE_LEN {
            return Err(malformed(format!("longer than {MAX_VALUE_LEN} characters")));
        }
        let parse = || -> Result<GateValue, DecodeError> {
            let v: GateValue = serde_json::from_str(value).map_err(|e| malformed(e.to_string()))?;
            if v.workflow.is_empty() || v.gate.is_empty() {
                return Err(malformed("empty workflow or gate".to_owned()));
            }
            Ok(v)
        };
        let incident = |want_index: bool| -> Result<(String, Option<usize>), DecodeError> {
            let v: IncidentValue =
                serde_json::from_str(value).map_err(|e| malformed(e.to_string()))?;
            if v.workflow.is_empty() {
                return Err(malformed("empty workflow".to_owned()));
            }
            match (want_index, v.index) {
                (true, None) => Err(malformed("missing diagnosis index".to_owned())),
                (false, Some(_)) => Err(malformed("unexpected index".to_owned())),
                (_, index) => Ok((v.workflow, index)),
            }
        };
        match name {
            "approve" => parse().map(|v| Self::Approve {
                workflow: v.workflow,
                gate: v.gate,
            }),
            "reject" => parse().map(|v| Self::Reject {
                workflow: v.workflow,
                gate: v.gate,
            }),
            "acknowledge" => incident(false).map(|(workflow, _)| Self::Acknowledge { workflow }),
            "rollback" => incident(false).map(|(workflow, _)| Self::Rollback { workflow }),
            "resolve" => incident(false).map(|(workflow, _)| Self::Resolve { workflow }),
            "choose_diagnosis" => incident(true).map(|(workflow, index)| Self::ChooseDiagnosis {
                workflow,
                index: index.unwrap_or_default(),
            }),
            "engage_freeze" => serde_json::from_str::<FreezeValue>(value)
                .map(|v| Self::EngageFreeze { reason: v.reason })
                .map_err(|e| malformed(e.to_string())),
            "cancel_freeze" => Ok(Self::CancelFreeze),
            _ => Err(DecodeError::UnknownAction(action_id.to_owned())),
        }
    }

    /// The workflow this action targets (empty for the emergency stop's buttons, which target
    /// the one freeze).
    pub fn workflow(&self) -> &str {
        match self {
            Self::EngageFreeze { .. } | Self::CancelFreeze => "",
            Self::Approve { workflow, .. }
            | Self::Reject { workflow, .. }
            | Self::Acknowledge { workflow }
            | Self::Rollback { workflow }
            | Self::Resolve { workflow }
            | Self::ChooseDiagnosis { workflow, .. } => workflow,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<Action> {
        vec![
            Action::Approve {
                workflow: "feature-add-login-1a2b3c4d".into(),
                gate: "intake".into(),
            },
            Action::Reject {
                workflow: "feature-x-00000000/testing".into(),
                gate: "production".into(),
            },
            Action::Approve {
                workflow: "w\"ith|odd,chars".into(),
                gate: "g\\1".into(),
            },
            Action::Acknowledge {
                workflow: "incident-3f9a1c2b".into(),
            },
            Action::Rollback {
                workflow: "incident-3f9a1c2b".into(),
            },
            Action::Resolve {
                workflow: "incident-3f9a1c2b".into(),
            },
            Action::ChooseDiagnosis {
                workflow: "incident-3f9a1c2b".into(),
                index: 2,
            },
            Action::EngageFreeze {
                reason: "bad deploy \"everywhere\"".into(),
            },
            Action::CancelFreeze,
        ]
    }

    #[test]
    fn every_action_round_trips() {
        for action in all() {
            let (id, value) = action.encode();
            assert_eq!(
                Action::decode(&id, Some(&value)),
                Ok(action.clone()),
                "{id} {value}"
            );
        }
    }

    #[test]
    fn approve_and_reject_encode_differently() {
        let [a, r] = ["approve", "reject"].map(|n| format!("chatops.{n}"));
        let (ida, _) = all()[0].encode();
        let (idr, _) = all()[1].encode();
        assert_eq!((ida, idr), (a, r));
    }

    #[test]
    fn foreign_and_broken_presses_are_told_apart() {
        let table: &[(&str, Option<&str>, &str)] = &[
            (
                "other.approve",
                Some("{}"),
                "unknown action `other.approve`",
            ),
            (
                "chatops.launch",
                Some(r#"{"w":"a","g":"b"}"#),
                "unknown action `chatops.launch`",
            ),
            (
                "chatops.approve",
                None,
                "malformed value for action `chatops.approve`: the button has no value",
            ),
            (
                "chatops.approve",
                Some(r#"{"w":"","g":"b"}"#),
                "malformed value for action `chatops.approve`: empty workflow or gate",
            ),
        ];
        for (id, value, want) in table {
            let err = Action::decode(id, *value).expect_err("must not decode");
            assert_eq!(err.to_string(), *want);
        }
        let err = Action::decode("chatops.choose_diagnosis", Some(r#"{"w":"incident-1"}"#))
            .expect_err("index is required");
        assert!(
            err.to_string().ends_with("missing diagnosis index"),
            "{err}"
        );
        let err = Action::decode("chatops.resolve", Some(r#"{"w":"incident-1","i":0}"#))
            .expect_err("resolve takes no index");
        assert!(err.to_string().ends_with("unexpected index"), "{err}");
        let err = Action::decode("chatops.reject", Some("not json")).expect_err("must not decode");
        assert!(matches!(err, DecodeError::MalformedValue { .. }), "{err}");
        let long = "x".repeat(MAX_VALUE_LEN + 1);
        assert!(Action::decode("chatops.reject", Some(&long)).is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_non_empty_workflow_and_gate_round_trip(workflow in ".{1,200}", gate in ".{1,40}", approve: bool) {
            let action = if approve {
                Action::Approve { workflow, gate }
            } else {
                Action::Reject { workflow, gate }
            };
            let (id, value) = action.encode();
            proptest::prop_assert_eq!(Action::decode(&id, Some(&value)), Ok(action));
        }

        #[test]
        fn decoding_arbitrary_input_never_panics(id in ".{0,40}", value in proptest::option::of(".{0,300}")) {
            let _ = Action::decode(&id, value.as_deref());
        }
    }
}
