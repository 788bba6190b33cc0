//! Who may act on an incident: its commander, the responders and the people on call, as the
//! worker's config names them ([`Roles`]). A signal from anyone else, from any path (a button,
//! the CLI, a raw `temporal workflow signal`), is refused and the refusal kept on the timeline.
//! Actions that arrive before the roles are known wait for them ([`Incident::set_roles`]).

use chatops_contract::incident::{
    Acknowledge, AssignCommander, ChooseDiagnosis, Resolve, Rollback,
};

use super::{Incident, Outcome};

/// Who may act, beside the commander.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Roles {
    /// Not read yet: actions wait in [`Incident::held`].
    #[default]
    Unknown,
    /// Anyone: the policy of a run recorded before roles existed, replayed as it ran.
    Anyone,
    /// These user ids (responders and on call, user groups resolved).
    Listed(Vec<String>),
}

/// A person's action on an incident, as its signal carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Take command.
    Acknowledge(Acknowledge),
    /// Hand command to someone.
    AssignCommander(AssignCommander),
    /// Pick a diagnosis.
    Choose(ChooseDiagnosis),
    /// Run the configured rollback.
    Rollback(Rollback),
    /// End the incident.
    Resolve(Resolve),
}

impl Action {
    /// Who is acting.
    pub fn user(&self) -> &str {
        match self {
            Self::Acknowledge(a) => &a.user,
            Self::AssignCommander(a) => &a.user,
            Self::Choose(c) => &c.user,
            Self::Rollback(r) => &r.user,
            Self::Resolve(r) => &r.user,
        }
    }

    /// The action in words, for the timeline.
    pub fn doing(&self) -> &'static str {
        match self {
            Self::Acknowledge(_) => "acknowledge",
            Self::AssignCommander(_) => "hand over command",
            Self::Choose(_) => "choose a diagnosis",
            Self::Rollback(_) => "roll back",
            Self::Resolve(_) => "resolve",
        }
    }
}

impl Incident {
    /// Applies `action` when its person may act; refuses it on the timeline otherwise, and holds
    /// it while the roles are not known yet.
    pub fn act(&mut self, action: Action, at: &str) -> Outcome {
        if self.roles == Roles::Unknown {
            self.held.push(action);
            return Outcome::Ignored("held until the roles are read".into());
        }
        if !self.may_act(action.user()) {
            let why = format!(
                "{} by {} refused: only the commander, the responders and the people on call may act on this incident",
                action.doing(),
                action.user()
            );
            self.event(at, why.clone(), Some(action.user().to_owned()));
            return Outcome::Refused(why);
        }
        match action {
            Action::Acknowledge(a) => self.acknowledge(&a, at),
            Action::AssignCommander(a) => self.assign_commander(&a, at),
            Action::Choose(c) => self.choose(&c, at),
            Action::Rollback(r) => self.rollback(&r, at),
            Action::Resolve(r) => self.resolve(&r, at),
        }
    }

    /// Sets who may act and applies what was held meanwhile, in arrival order.
    pub fn set_roles(&mut self, roles: Roles, at: &str) {
        self.roles = roles;
        for action in std::mem::take(&mut self.held) {
            self.act(action, at);
        }
    }

    /// Whether `user` may act: the commander, a listed responder or on call.
    pub fn may_act(&self, user: &str) -> bool {
        match &self.roles {
            Roles::Unknown => false,
            Roles::Anyone => true,
            Roles::Listed(users) => {
                self.status.commander.as_deref() == Some(user) || users.iter().any(|u| u == user)
            }
        }
    }
}
