//! Why a rule said no. Each text is the wording of record: Slack shows it as it is and the
//! audit log keeps it; the CLI words some of them for a terminal.

/// A refusal by one of the rules in `ops`; nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// Nobody may do what only admins may (skip a gate, deploy outside the deploy windows):
    /// no admins are configured (set `CHATOPS__APPROVALS__ADMINS`).
    #[error("Nobody may {0}: no admins are configured (CHATOPS__APPROVALS__ADMINS).")]
    NoAdmins(&'static str),
    /// Only admins may do it; ask one.
    #[error("Only admins (CHATOPS__APPROVALS__ADMINS) may {0}. Nothing was changed.")]
    NotAdmin(&'static str),
    /// Whether the person is an admin could not be read (a user group); try again later.
    #[error(
        "I couldn't check whether you are an admin ({0}), so nothing was changed. Try again in a minute."
    )]
    AdminUnverifiable(String),
    /// Only the feature's requester or an admin may cancel it.
    #[error(
        "Only the requester (<@{requester}>) or an admin (CHATOPS__APPROVALS__ADMINS) may cancel `{id}`. Nothing was changed."
    )]
    NotRequesterOrAdmin {
        /// The feature.
        id: String,
        /// Who asked for it.
        requester: String,
    },
    /// Only the feature's requester, its gates' approvers or an admin may steer it.
    #[error(
        "Only the requester (<@{requester}>), the approvers of its gates (CHATOPS__APPROVALS__APPROVERS) or an admin (CHATOPS__APPROVALS__ADMINS) may pause, resume, block, unblock or reprioritise `{id}`. Nothing was changed."
    )]
    NotSteerer {
        /// The feature.
        id: String,
        /// Who asked for it.
        requester: String,
    },
    /// The feature has finished; there is nothing left to change.
    #[error("`{id}` has already finished ({phase}). Nothing was changed.")]
    Finished {
        /// The feature.
        id: String,
        /// Where it ended, as `/feature status` words it.
        phase: String,
    },
    /// Nobody may do it: no on-call users or groups are configured
    /// (set `CHATOPS__EMERGENCY__ONCALL`).
    #[error(
        "Nobody may {doing}: no on-call users or groups are configured (CHATOPS__EMERGENCY__ONCALL)."
    )]
    NoOnCall {
        /// What was attempted, e.g. `engage the emergency stop`.
        doing: &'static str,
    },
    /// Only on-call engineers may do it; ask one.
    #[error(
        "Only on-call engineers may {doing}. Ask someone on call, or an admin to add you to CHATOPS__EMERGENCY__ONCALL."
    )]
    NotOnCall {
        /// What was attempted.
        doing: &'static str,
    },
    /// Whether the person is on call could not be read (a user group); try again later.
    #[error(
        "I couldn't check whether you are on call ({why}), so I did not {doing}. Try again in a minute."
    )]
    OnCallUnverifiable {
        /// What was attempted.
        doing: &'static str,
        /// What could not be read.
        why: String,
    },
    /// Only the incident's commander, its responders and the people on call may act on it.
    #[error(
        "Only the incident commander{commander}, the responders (CHATOPS__INCIDENT__RESPONDERS) and the people on call (CHATOPS__EMERGENCY__ONCALL) may {doing} `{id}`. Nothing was changed."
    )]
    NotResponder {
        /// What was attempted, e.g. `roll back`.
        doing: &'static str,
        /// The incident.
        id: String,
        /// ` (<@U…>)` when the incident has a commander, else empty.
        commander: String,
    },
    /// Whether the person is a responder could not be read (a user group); try again later.
    #[error(
        "I couldn't check whether you are an incident responder ({why}), so I did not {doing} `{id}`. Try again in a minute."
    )]
    ResponderUnverifiable {
        /// What was attempted.
        doing: &'static str,
        /// The incident.
        id: String,
        /// What could not be read.
        why: String,
    },
    /// The workflow refused a gate decision (already decided, not an approver, …); the text is
    /// the workflow's reason.
    #[error("{0}")]
    Declined(String),
    /// The audit log cannot be written and `CHATOPS__AUDIT__FAIL_CLOSED` is on, so the action
    /// was not taken; try again once the bot's database is writable.
    #[error(
        "The audit log cannot be written ({0}), and CHATOPS__AUDIT__FAIL_CLOSED is on, so nothing was done. Try again in a minute, or ask an admin to check the bot's database (CHATOPS__DATABASE__URL)."
    )]
    AuditUnavailable(String),
    /// The feature was requested in a private channel the person is not in.
    #[error(
        "`{0}` was requested in a private channel you are not in, so it is shown only to that channel's members."
    )]
    Private(String),
    /// The incident's card is in a private channel the person is not in.
    #[error(
        "`{0}` is handled in a private channel you are not in, so it is shown only to that channel's members."
    )]
    PrivateIncident(String),
}

impl Refusal {
    /// The audit log's outcome for it.
    pub(crate) fn audited(&self) -> String {
        match self {
            Self::Finished { .. } => "refused: finished".to_owned(),
            other => format!("refused: {other}"),
        }
    }
}
