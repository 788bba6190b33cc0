//! Consensus over diagnoses: how sure are we, all agents together?
//!
//! 1. Diagnoses are put in a canonical order (category, normalized root cause, confidence,
//!    agent), so the result never depends on the order agents answered in.
//! 2. Each joins the first group of its category whose representative (first member) root cause
//!    is similar enough: Jaccard similarity of their word sets ≥ `policy.similarity`. Otherwise
//!    it starts a group.
//! 3. A group scores `mean confidence × agreement share` = `sum of its confidences / number of
//!    diagnoses`. One confident agent among many dissenters scores low; a unanimous,
//!    confident swarm scores its mean confidence.
//! 4. The best group wins; ties go to more members, then the higher top confidence, then the
//!    lexicographically smaller category and root cause. Its score is the consensus confidence;
//!    a fix may be applied automatically only when it reaches `policy.threshold`.

use chatops_contract::incident::Diagnosis;
use std::cmp::Ordering;
use std::collections::BTreeSet;

pub use chatops_contract::incident::{
    Consensus, ConsensusGroup as Group, ConsensusPolicy as Policy,
};

/// Why no verdict could be reached.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConsensusError {
    /// No diagnosis arrived; escalate to a human.
    #[error("no diagnoses to decide on")]
    Empty,
    /// An agent reported a confidence outside 0..=1 (or NaN); fix that agent.
    #[error("agent `{agent}` reported confidence {value}, which is not between 0 and 1")]
    InvalidConfidence {
        /// The agent.
        agent: String,
        /// What it said.
        value: f64,
    },
    /// The policy itself is out of range; fix the configuration.
    #[error("policy {0} must be between 0 and 1")]
    InvalidPolicy(&'static str),
}

/// Groups similar diagnoses and scores them. See the module docs for the arithmetic.
pub fn decide(diagnoses: &[Diagnosis], policy: &Policy) -> Result<Consensus, ConsensusError> {
    if !(0.0..=1.0).contains(&policy.similarity) {
        return Err(ConsensusError::InvalidPolicy("similarity"));
    }
    if !(0.0..=1.0).contains(&policy.threshold) {
        return Err(ConsensusError::InvalidPolicy("threshold"));
    }
    if diagnoses.is_empty() {
        return Err(ConsensusError::Empty);
    }
    if let Some(bad) = diagnoses
        .iter()
        .find(|d| !(0.0..=1.0).contains(&d.confidence))
    {
        return Err(ConsensusError::InvalidConfidence {
            agent: bad.agent.clone(),
            value: bad.confidence,
        });
    }

    let mut ordered: Vec<(&Diagnosis, BTreeSet<String>, String)> = diagnoses
        .iter()
        .map(|d| (d, words(&d.root_cause), normalize(&d.root_cause)))
        .collect();
    ordered.sort_by(|a, b| {
        a.0.category
            .cmp(&b.0.category)
            .then_with(|| a.2.cmp(&b.2))
            .then_with(|| b.0.confidence.total_cmp(&a.0.confidence))
            .then_with(|| a.0.agent.cmp(&b.0.agent))
    });

    // (first member index into `ordered`, member indices)
    let mut clusters: Vec<(usize, Vec<usize>)> = Vec::new();
    for (i, (d, w, _)) in ordered.iter().enumerate() {
        let home = clusters.iter_mut().find(|(first, _)| {
            let (rep, rep_words, _) = &ordered[*first];
            rep.category == d.category && jaccard(rep_words, w) >= policy.similarity
        });
        match home {
            Some((_, members)) => members.push(i),
            None => clusters.push((i, vec![i])),
        }
    }

    let total = ordered.len() as f64;
    let mut groups: Vec<(Group, f64)> = clusters
        .iter()
        .map(|(first, members)| {
            let sum: f64 = members.iter().map(|&m| ordered[m].0.confidence).sum();
            let top = members
                .iter()
                .map(|&m| ordered[m].0.confidence)
                .fold(0.0, f64::max);
            let rep = ordered[*first].0;
            let group = Group {
                category: rep.category.clone(),
                root_cause: rep.root_cause.clone(),
                agents: members
                    .iter()
                    .map(|&m| ordered[m].0.agent.clone())
                    .collect(),
                mean_confidence: sum / members.len() as f64,
                agreement: members.len() as f64 / total,
                score: sum / total,
            };
            (group, top)
        })
        .collect();
    groups.sort_by(|(a, a_top), (b, b_top)| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| b.agents.len().cmp(&a.agents.len()))
            .then_with(|| b_top.total_cmp(a_top))
            .then_with(|| a.category.cmp(&b.category))
            .then_with(|| a.root_cause.cmp(&b.root_cause))
            .then(Ordering::Equal)
    });
    let mut groups: Vec<Group> = groups.into_iter().map(|(g, _)| g).collect();
    let best = groups.remove(0);
    let confidence = best.score;
    let runner_up = groups.first().cloned();
    groups.insert(0, best.clone());
    Ok(Consensus {
        auto_fix: confidence >= policy.threshold,
        confidence,
        best,
        runner_up,
        groups,
    })
}

fn normalize(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

fn words(text: &str) -> BTreeSet<String> {
    normalize(text)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let inter = a.intersection(b).count() as f64;
    let union = a.union(b).count() as f64;
    inter / union
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(agent: &str, category: &str, cause: &str, confidence: f64) -> Diagnosis {
        Diagnosis {
            agent: agent.into(),
            root_cause: cause.into(),
            category: category.into(),
            confidence,
            evidence: vec![],
            suggested_fix: None,
            changes: vec![],
        }
    }

    #[test]
    fn unanimous_confident_agents_reach_the_threshold() {
        let all = [
            d("a", "database", "Connection pool exhausted", 0.9),
            d("b", "database", "connection pool exhausted!", 0.8),
            d("c", "database", "DB connection pool is exhausted", 0.85),
        ];
        let c = decide(&all, &Policy::default()).expect("decides");
        assert_eq!(c.best.agents, ["a", "b", "c"]);
        assert!((c.confidence - 0.85).abs() < 1e-9, "{}", c.confidence);
        assert!(c.auto_fix);
        assert_eq!(c.runner_up, None);
    }

    #[test]
    fn an_even_split_stays_below_the_threshold() {
        let split = [
            d("a", "database", "connection pool exhausted", 0.95),
            d("b", "deploy", "bad config pushed in release 42", 0.95),
        ];
        let c = decide(&split, &Policy::default()).expect("decides");
        assert!((c.confidence - 0.475).abs() < 1e-9);
        assert!(!c.auto_fix);
        assert!(c.runner_up.is_some());
    }

    #[test]
    fn one_diagnosis_is_its_own_consensus() {
        let c = decide(
            &[d("a", "network", "DNS timeouts", 0.6)],
            &Policy::default(),
        )
        .expect("decides");
        assert_eq!(
            (c.confidence, c.best.agreement, c.auto_fix),
            (0.6, 1.0, false)
        );
    }

    #[test]
    fn bad_input_is_rejected_with_a_reason() {
        assert_eq!(decide(&[], &Policy::default()), Err(ConsensusError::Empty));
        for bad in [f64::NAN, -0.1, 1.5, f64::INFINITY] {
            let err = decide(&[d("x", "c", "r", bad)], &Policy::default()).expect_err("rejected");
            assert!(
                matches!(err, ConsensusError::InvalidConfidence { ref agent, .. } if agent == "x"),
                "{err}"
            );
        }
        let bad_policy = Policy {
            similarity: 2.0,
            ..Policy::default()
        };
        assert_eq!(
            decide(&[d("x", "c", "r", 0.5)], &bad_policy),
            Err(ConsensusError::InvalidPolicy("similarity"))
        );
    }

    #[test]
    fn ties_are_broken_deterministically() {
        let tie = [
            d("a", "deploy", "bad release", 0.5),
            d("b", "database", "slow query", 0.5),
        ];
        let c = decide(&tie, &Policy::default()).expect("decides");
        assert_eq!(c.best.category, "database");
        assert_eq!(c.runner_up.map(|g| g.category).as_deref(), Some("deploy"));
    }

    fn diagnosis() -> impl Strategy<Value = Diagnosis> {
        let words = prop::sample::select(vec![
            "pool",
            "exhausted",
            "dns",
            "timeout",
            "release",
            "config",
            "disk",
            "full",
        ]);
        (
            "[a-e]",
            prop::sample::select(vec!["database", "network", "deploy"]),
            prop::collection::vec(words, 1..4),
            0.0f64..=1.0,
        )
            .prop_map(|(agent, category, cause, confidence)| {
                d(&agent, category, &cause.join(" "), confidence)
            })
    }

    proptest! {
        #[test]
        fn the_verdict_does_not_depend_on_input_order(mut all in prop::collection::vec(diagnosis(), 1..8), seed: u64) {
            let first = decide(&all, &Policy::default()).expect("valid input");
            let n = all.len();
            all.rotate_left((seed as usize) % n);
            all.reverse();
            let again = decide(&all, &Policy::default()).expect("valid input");
            prop_assert_eq!(first, again);
        }

        #[test]
        fn a_low_confidence_dissenter_never_raises_confidence(all in prop::collection::vec(diagnosis(), 1..8), frac in 0.0f64..=1.0) {
            let before = decide(&all, &Policy::default()).expect("valid input");
            let lowest = all.iter().map(|x| x.confidence).fold(1.0, f64::min);
            let mut more = all.clone();
            more.push(d("dissenter", "unrelated", "cosmic rays", lowest * frac));
            let after = decide(&more, &Policy::default()).expect("valid input");
            prop_assert!(after.confidence <= before.confidence + 1e-12);
        }

        #[test]
        fn confidence_is_a_probability_and_auto_fix_follows_the_threshold(all in prop::collection::vec(diagnosis(), 1..8)) {
            let c = decide(&all, &Policy::default()).expect("valid input");
            prop_assert!((0.0..=1.0).contains(&c.confidence));
            prop_assert_eq!(c.auto_fix, c.confidence >= 0.70);
            prop_assert_eq!(c.groups.iter().map(|g| g.agents.len()).sum::<usize>(), all.len());
        }
    }
}
