//! Workflow ids: derived from their inputs so a retried request can never fork a second run.

/// Longest slug kept in a feature workflow id.
const MAX_SLUG_LEN: usize = 32;

/// Id of the feature workflow for `request`, with `short_id` a short stable digest of the Slack
/// invocation that asked for it: `feature-<slug>-<short-id>`.
pub fn feature_workflow_id(request: &str, short_id: &str) -> String {
    let slug = slug(request);
    if slug.is_empty() {
        format!("feature-{short_id}")
    } else {
        format!("feature-{slug}-{short_id}")
    }
}

/// Lower-case kebab slug of at most [`MAX_SLUG_LEN`] characters, cut at a word boundary.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for word in text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let word = word.to_ascii_lowercase();
        let extra = if out.is_empty() { 0 } else { 1 };
        if out.len() + extra + word.len() > MAX_SLUG_LEN {
            if out.is_empty() {
                out.push_str(&word[..MAX_SLUG_LEN]);
            }
            break;
        }
        if extra == 1 {
            out.push('-');
        }
        out.push_str(&word);
    }
    out
}

/// Whether `id` looks like a feature workflow id (used to answer typos before asking Temporal).
pub fn is_feature_workflow_id(id: &str) -> bool {
    id.starts_with("feature-")
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '/')
}

/// Whether `r` names a GitHub repository as `owner/name` (one slash, no spaces).
pub fn is_repository(r: &str) -> bool {
    r.split_once('/').is_some_and(|(o, n)| {
        !o.is_empty() && !n.is_empty() && !n.contains('/') && !r.contains(char::is_whitespace)
    })
}

/// Id of an incident: `incident-<short-id>`.
pub fn incident_workflow_id(short_id: &str) -> String {
    format!("incident-{short_id}")
}

/// Whether `id` looks like an incident workflow id.
pub fn is_incident_workflow_id(id: &str) -> bool {
    id.strip_prefix("incident-").is_some_and(|rest| {
        !rest.is_empty()
            && rest.len() <= 64
            && rest
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_keeps_words_and_drops_punctuation() {
        assert_eq!(slug("Add OAuth2 login!"), "add-oauth2-login");
        assert_eq!(slug("  --  "), "");
        assert_eq!(slug("Ünïcode café"), "n-code-caf");
    }

    #[test]
    fn slug_is_cut_at_a_word_boundary() {
        let s = slug("make the checkout page load faster on slow mobile networks");
        assert_eq!(s, "make-the-checkout-page-load");
        assert!(s.len() <= MAX_SLUG_LEN);
        assert_eq!(slug(&"x".repeat(50)).len(), MAX_SLUG_LEN);
    }

    #[test]
    fn feature_ids_are_recognised() {
        let id = feature_workflow_id("Add OAuth2 login", "7f3a9c01");
        assert_eq!(id, "feature-add-oauth2-login-7f3a9c01");
        assert!(is_feature_workflow_id(&id));
        assert_eq!(feature_workflow_id("!!", "7f3a9c01"), "feature-7f3a9c01");
        assert!(!is_feature_workflow_id("incident-1"));
        assert!(!is_feature_workflow_id("feature-Bad Id"));
    }

    #[test]
    fn incident_ids_are_recognised() {
        let id = incident_workflow_id("3f9a1c2b");
        assert_eq!(id, "incident-3f9a1c2b");
        assert!(is_incident_workflow_id(&id));
        assert!(!is_incident_workflow_id("incident-"));
        assert!(!is_incident_workflow_id("feature-x-1"));
        assert!(!is_incident_workflow_id("incident-Bad"));
    }
}
