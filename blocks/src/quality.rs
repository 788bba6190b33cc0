//! `/quality <repo>`: a watched default branch's score history, as text.

use chatops_contract::quality::QualityTrend;

use crate::escape;

/// How many scores the trend line shows, and how many looks are listed.
const SHOWN_SCORES: usize = 20;
const LISTED: usize = 5;

/// The trend of `t`: the scores, oldest first, then the latest runs with their commits.
pub fn trend(t: &QualityTrend) -> String {
    let repo = escape(&t.repository);
    let Some(last) = t.points.last() else {
        return format!(
            "`{repo}` is watched, but its default branch has not been checked yet ({} looks so far).",
            t.looks
        );
    };
    let scores: Vec<String> = t
        .points
        .iter()
        .rev()
        .take(SHOWN_SCORES)
        .rev()
        .map(|p| format!("{:.0}", p.score))
        .collect();
    let mut out = format!(
        "*Quality of `{repo}` on `{}`* ({} checked, {} looks): {}\n",
        escape(&last.branch),
        t.points.len(),
        t.looks,
        scores.join(" → ")
    );
    for p in t.points.iter().rev().take(LISTED) {
        let failing = if p.failing.is_empty() {
            String::new()
        } else {
            let names: Vec<String> = p
                .failing
                .iter()
                .map(|f| format!("`{}`", escape(f)))
                .collect();
            format!(" — failing {}", names.join(", "))
        };
        out.push_str(&format!(
            "• {} `{}` score {:.0} ({}){failing}\n",
            p.at,
            p.sha.get(..12).unwrap_or(&p.sha),
            p.score,
            escape(&p.trigger)
        ));
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatops_contract::quality::QualityPoint;

    #[test]
    fn the_trend_reads_oldest_to_newest_and_lists_the_latest_first() {
        let point = |sha: &str, score: f64, failing: &[&str], trigger: &str| QualityPoint {
            at: format!("2026-12-03T10:00:0{}Z", sha.len()),
            branch: "main".into(),
            sha: sha.into(),
            score,
            failing: failing.iter().map(|f| (*f).to_owned()).collect(),
            trigger: trigger.into(),
        };
        let t = QualityTrend {
            repository: "acme/shop".into(),
            points: vec![
                point("a1", 100.0, &[], "worker start"),
                point("b22", 50.0, &["unit_tests"], "merge of feature-x-1"),
            ],
            looks: 3,
        };
        assert_eq!(
            trend(&t),
            "*Quality of `acme/shop` on `main`* (2 checked, 3 looks): 100 → 50\n\
• 2026-12-03T10:00:03Z `b22` score 50 (merge of feature-x-1) — failing `unit_tests`\n\
• 2026-12-03T10:00:02Z `a1` score 100 (worker start)"
        );
        let empty = QualityTrend {
            repository: "acme/shop".into(),
            points: vec![],
            looks: 0,
        };
        assert!(trend(&empty).contains("has not been checked yet"));
    }
}
