//! What a long incident carries into its next run when it continues as new: everything the
//! card, the timeline, the diagnoses and the postmortem need, and the stage it was waiting in.
//! Work still pending is never carried: the workflow continues only when there is none.

use chatops_contract::incident::{ConsensusReport, Diagnosis, IncidentInput, IncidentStatus};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

use super::{Incident, Roles};

/// Where the incident was waiting when it continued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Stage {
    /// The candidates were offered; nobody had picked one.
    AwaitingChoice {
        /// Escalations sent so far.
        escalations: u32,
        /// The candidates message, to mark decided once someone picks.
        asked: Option<String>,
    },
    /// Decided (or acting); waiting for someone to resolve it.
    AwaitingResolution,
}

/// The carried state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Carried {
    pub status: IncidentStatus,
    pub diagnoses: Vec<Diagnosis>,
    pub report: ConsensusReport,
    pub card_version: u64,
    /// The card version Slack shows; the next run edits the card when it is behind.
    #[serde(default)]
    pub card_shown: u64,
    pub rolled_back: Option<(String, String)>,
    pub repeats_in_a_row: u32,
    pub stage: Stage,
    /// Runs before this one.
    pub runs: u32,
}

impl Incident {
    /// What the next run needs, once no work is pending.
    pub fn carry(&self, stage: Stage, runs: u32, card_shown: u64) -> Carried {
        Carried {
            status: self.status.clone(),
            diagnoses: self.diagnoses.clone(),
            report: self.report.clone(),
            card_version: self.card_version,
            card_shown,
            rolled_back: self.rolled_back.clone(),
            repeats_in_a_row: self.repeats_in_a_row,
            stage,
            runs,
        }
    }

    /// The incident as an earlier run left it; roles are read again by this run.
    pub fn resume(input: IncidentInput, carried: Carried) -> Self {
        Self {
            input: IncidentInput {
                carried: None,
                ..input
            },
            status: carried.status,
            diagnoses: carried.diagnoses,
            report: carried.report,
            pending: VecDeque::new(),
            resolution: None,
            card_version: carried.card_version,
            roles: Roles::Unknown,
            held: Vec::new(),
            rolled_back: carried.rolled_back,
            repeats_in_a_row: carried.repeats_in_a_row,
        }
    }
}
