//! The gate book: a feature's approval gates, the approvals cast on them, and the rules of who
//! may decide them (N of M approvers, per-gate approvers, no self-approval, admin skips,
//! escalation, approval on timeout). `FeatureState` holds one and writes the timeline; a
//! decision the rules refuse comes back as a [`GateRefusal`], whose text is what the person
//! who sent it is told.

mod refusal;
mod rules;

pub use refusal::{GateRefusal, gate_name};
pub use rules::{GateRule, GateRules};

use chatops_contract::feature::{Approve, Gate, GateName, GateState, Reject, Vote};
use chatops_contract::lifecycle::SkipGate;

/// What an accepted approval did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tally {
    /// Counted; the gate has `have` of the `need` approvals it needs.
    Counted {
        /// Approvals so far.
        have: usize,
        /// Approvals needed.
        need: usize,
    },
    /// It was the last one needed: the gate is approved.
    Passed,
}

/// A feature's gates, oldest first, with the approvals cast on them. A gate may be opened
/// again; lookups by name see the newest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GateBook {
    gates: Vec<Gate>,
}

impl GateBook {
    /// Opens `gate`, pending until `deadline`, passing at `required` distinct approvals.
    pub fn open(&mut self, gate: GateName, required: u32, deadline: &str) {
        self.gates.push(Gate {
            name: gate.as_str().to_owned(),
            state: GateState::Pending,
            decided_by: None,
            decided_at: None,
            note: None,
            deadline: Some(deadline.to_owned()),
            required,
            approvals: Vec::new(),
            escalated: false,
        });
    }

    /// Every gate opened, oldest first.
    pub fn all(&self) -> &[Gate] {
        &self.gates
    }

    /// The gates waiting for a decision, oldest first.
    pub fn pending(&self) -> impl Iterator<Item = &Gate> {
        self.gates.iter().filter(|g| g.state == GateState::Pending)
    }

    /// The newest gate called `gate`, if opened.
    pub fn get(&self, gate: GateName) -> Option<&Gate> {
        self.gates.iter().rev().find(|g| g.name == gate)
    }

    /// Whether `gate` has been decided (or timed out, or skipped).
    pub fn is_decided(&self, gate: GateName) -> bool {
        self.get(gate)
            .is_some_and(|g| g.state != GateState::Pending)
    }

    /// Whether `gate` passed (approved or skipped).
    pub fn has_passed(&self, gate: GateName) -> bool {
        self.get(gate)
            .is_some_and(|g| matches!(g.state, GateState::Approved | GateState::Skipped))
    }

    /// Whether `user` may cast this decision on gate `name` now, under `rules`, on a feature
    /// `requester` asked for.
    pub fn check(
        &self,
        name: &str,
        user: &str,
        approving: bool,
        rules: &GateRules,
        requester: &str,
    ) -> Result<(), GateRefusal> {
        let gate = gate_name(name)?;
        let Some(open) = self.get(gate) else {
            return Err(GateRefusal::NoSuchGate {
                gate: name.to_owned(),
            });
        };
        if open.state != GateState::Pending {
            return Err(GateRefusal::AlreadyDecided {
                gate,
                state: open.state,
            });
        }
        if let Some(eligible) = rules.eligible_for(gate.as_str())
            && !eligible.contains(user)
        {
            return Err(GateRefusal::NotAnApprover { gate });
        }
        if approving {
            if user == requester && rules.bars_requester(gate) {
                return Err(GateRefusal::OwnRequest { gate });
            }
            if open.approvals.iter().any(|v| v.user == user) {
                return Err(GateRefusal::AlreadyApproved {
                    gate,
                    have: open.approvals.len(),
                    need: open.needed(),
                });
            }
        }
        Ok(())
    }

    /// Counts an approval once [`check`](Self::check) allows it; the gate passes when it has
    /// enough distinct ones.
    pub fn approve(
        &mut self,
        a: &Approve,
        now: &str,
        rules: &GateRules,
        requester: &str,
    ) -> Result<Tally, GateRefusal> {
        self.check(&a.gate, &a.user, true, rules, requester)?;
        let open = self.checked_mut(&a.gate)?;
        open.approvals.push(Vote {
            user: a.user.clone(),
            at: now.to_owned(),
        });
        let (have, need) = (open.approvals.len(), open.needed());
        if have < need {
            return Ok(Tally::Counted { have, need });
        }
        decide(open, GateState::Approved, &a.user, a.comment.clone(), now);
        Ok(Tally::Passed)
    }

    /// Applies a rejection once [`check`](Self::check) allows it: the first one wins, whatever
    /// approvals came before.
    pub fn reject(
        &mut self,
        r: &Reject,
        now: &str,
        rules: &GateRules,
        requester: &str,
    ) -> Result<(), GateRefusal> {
        self.check(&r.gate, &r.user, false, rules, requester)?;
        let open = self.checked_mut(&r.gate)?;
        decide(
            open,
            GateState::Rejected,
            &r.user,
            Some(r.reason.clone()),
            now,
        );
        Ok(())
    }

    /// Times out `gate`: nobody decided before its deadline.
    pub fn time_out(&mut self, gate: GateName, now: &str) -> Result<(), GateRefusal> {
        let open = self.pending_mut(gate)?;
        open.state = GateState::TimedOut;
        open.decided_at = Some(now.to_owned());
        open.note = Some("no decision before the deadline".to_owned());
        Ok(())
    }

    /// Passes `gate` because nobody decided in time, for gates that approve on timeout.
    pub fn auto_approve(
        &mut self,
        gate: GateName,
        note: &str,
        now: &str,
    ) -> Result<(), GateRefusal> {
        let open = self.pending_mut(gate)?;
        open.state = GateState::Approved;
        open.decided_by = Some("timeout".to_owned());
        open.decided_at = Some(now.to_owned());
        open.note = Some(note.to_owned());
        Ok(())
    }

    /// Marks `gate` escalated; false when it was not pending or already escalated.
    pub fn escalate(&mut self, gate: GateName) -> bool {
        match self.pending_mut(gate) {
            Ok(open) if !open.escalated => {
                open.escalated = true;
                true
            }
            _ => false,
        }
    }

    /// Whether `k.user` may skip `k.gate` now, under `rules`.
    pub fn check_skip(&self, k: &SkipGate, rules: &GateRules) -> Result<(), GateRefusal> {
        let gate = gate_name(&k.gate)?;
        match self.get(gate) {
            None => {
                return Err(GateRefusal::NoSuchGate {
                    gate: k.gate.clone(),
                });
            }
            Some(g) if g.state != GateState::Pending => {
                return Err(GateRefusal::NotPending { gate });
            }
            Some(_) => {}
        }
        if !rules.admins.contains(&k.user) {
            return Err(GateRefusal::NotAnAdmin { gate });
        }
        if k.reason.trim().is_empty() {
            return Err(GateRefusal::NoReason);
        }
        Ok(())
    }

    /// Skips `k.gate` once [`check_skip`](Self::check_skip) allows it.
    pub fn skip(&mut self, k: &SkipGate, now: &str, rules: &GateRules) -> Result<(), GateRefusal> {
        self.check_skip(k, rules)?;
        let open = self.checked_mut(&k.gate)?;
        open.state = GateState::Skipped;
        open.decided_by = Some(k.user.clone());
        open.decided_at = Some(now.to_owned());
        open.note = Some(k.reason.trim().to_owned());
        Ok(())
    }

    /// Drops the approvals on pending `gate` (what they approved has changed); how many.
    pub fn reset_votes(&mut self, gate: GateName) -> usize {
        let Ok(open) = self.pending_mut(gate) else {
            return 0;
        };
        let dropped = open.approvals.len();
        open.approvals.clear();
        dropped
    }

    /// The newest pending gate called `gate`.
    fn pending_mut(&mut self, gate: GateName) -> Result<&mut Gate, GateRefusal> {
        self.gates
            .iter_mut()
            .rev()
            .find(|g| g.name == gate && g.state == GateState::Pending)
            .ok_or(GateRefusal::NotPending { gate })
    }

    /// The pending gate called `name`, which a check has just found.
    fn checked_mut(&mut self, name: &str) -> Result<&mut Gate, GateRefusal> {
        let gate = gate_name(name)?;
        self.pending_mut(gate)
    }
}

/// Records a person's decision on a pending gate.
fn decide(gate: &mut Gate, state: GateState, user: &str, note: Option<String>, now: &str) {
    gate.state = state;
    gate.decided_by = Some(user.to_owned());
    gate.decided_at = Some(now.to_owned());
    gate.note = note.filter(|n| !n.trim().is_empty());
}

#[cfg(test)]
mod tests;
