//! File paths inside a repository, as agents write them: checked and normalised before they
//! are committed, and percent-encoded one segment at a time for GitHub's contents API, so an
//! agent's path can name a file in the repository and nothing else.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::fmt;

/// What stays as it is in a path segment: RFC 3986's unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A checked path: relative, `/`-separated, without `.` or `..` segments, empty segments,
/// backslashes or control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoPath(String);

impl RepoPath {
    /// `path` with `./` segments dropped, or why it cannot name a file in the repository.
    pub fn parse(path: &str) -> Result<Self, String> {
        let shown = path.escape_debug();
        if path.is_empty() {
            return Err("a file path is empty; name a file relative to the repository root, like src/main.rs".to_owned());
        }
        if path.chars().any(char::is_control) {
            return Err(format!("path `{shown}` must not hold control characters"));
        }
        if path.contains('\\') {
            return Err(format!(
                "path `{shown}` must separate folders with `/`, not `\\`"
            ));
        }
        if path.starts_with('/') {
            return Err(format!(
                "path `{shown}` must be relative to the repository root, not absolute"
            ));
        }
        let mut kept = Vec::new();
        for segment in path.split('/') {
            match segment {
                "" => {
                    return Err(format!(
                        "path `{shown}` must not have empty segments (`//` or a trailing `/`)"
                    ));
                }
                "." => {}
                ".." => {
                    return Err(format!(
                        "path `{shown}` must be relative to the repository root, without `..`"
                    ));
                }
                name => kept.push(name),
            }
        }
        if kept.is_empty() {
            return Err(format!("path `{shown}` names no file"));
        }
        Ok(Self(kept.join("/")))
    }

    /// The path as committed.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path for a URL: each segment percent-encoded, joined by `/`.
    pub fn encoded(&self) -> String {
        self.0
            .split('/')
            .map(|s| utf8_percent_encode(s, SEGMENT).to_string())
            .collect::<Vec<_>>()
            .join("/")
    }
}

impl fmt::Display for RepoPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalised_and_encoded_segment_by_segment() {
        let table = [
            ("src/main.rs", "src/main.rs", "src/main.rs"),
            ("./src/./main.rs", "src/main.rs", "src/main.rs"),
            (
                "docs/post mortems/2026 #1.md",
                "docs/post mortems/2026 #1.md",
                "docs/post%20mortems/2026%20%231.md",
            ),
            ("a/b?c=d&e", "a/b?c=d&e", "a/b%3Fc%3Dd%26e"),
            ("..hidden/x..y", "..hidden/x..y", "..hidden/x..y"),
            ("naïve/ü.txt", "naïve/ü.txt", "na%C3%AFve/%C3%BC.txt"),
            ("%2e%2e/secret", "%2e%2e/secret", "%252e%252e/secret"),
        ];
        for (given, committed, encoded) in table {
            let path = RepoPath::parse(given).unwrap_or_else(|e| panic!("{given}: {e}"));
            assert_eq!(
                (path.as_str(), path.encoded().as_str()),
                (committed, encoded),
                "{given}"
            );
        }
    }

    #[test]
    fn paths_that_could_leave_the_repository_are_refused() {
        let table = [
            ("", "a file path is empty"),
            (
                "../etc/passwd",
                "must be relative to the repository root, without `..`",
            ),
            ("src/../../x", "without `..`"),
            (
                "/etc/passwd",
                "must be relative to the repository root, not absolute",
            ),
            ("src//main.rs", "must not have empty segments"),
            ("src/", "must not have empty segments"),
            (".", "names no file"),
            ("./.", "names no file"),
            (
                "src/main.rs\n",
                "path `src/main.rs\\n` must not hold control characters",
            ),
            ("a\u{0}b", "must not hold control characters"),
            ("a\u{7f}b", "must not hold control characters"),
            ("..\\windows", "must separate folders with `/`"),
        ];
        for (given, want) in table {
            let err = RepoPath::parse(given).expect_err(given);
            assert!(err.contains(want), "{given:?}: {err}");
        }
    }
}
