//! Edits an HTTP agent sends: search/replace blocks against the current content of a file,
//! whole content only for a new file, and deletions. An edit that does not apply says exactly
//! why, so the agent can be told.

use chatops_contract::incident::FileChange;
use serde::Deserialize;
use std::collections::BTreeMap;

use super::repo_path::RepoPath;

/// One edit, as the agent sends it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Edit {
    /// The file.
    pub path: String,
    /// Text that occurs exactly once in the current file…
    #[serde(default)]
    pub search: Option<String>,
    /// …and what replaces it.
    #[serde(default)]
    pub replace: Option<String>,
    /// The whole content of a file that does not exist yet.
    #[serde(default)]
    pub content: Option<String>,
    /// Remove the file.
    #[serde(default)]
    pub delete: bool,
    /// Make the file executable.
    #[serde(default)]
    pub executable: Option<bool>,
}

/// Applies `edits` in order to the files `current` reads (`None`: no such file), returning the
/// resulting whole-file changes, or every reason an edit did not apply.
pub fn apply(
    edits: &[Edit],
    current: impl Fn(&str) -> Option<(String, bool)>,
) -> Result<Vec<FileChange>, Vec<String>> {
    let mut files: BTreeMap<String, Option<(String, bool)>> = BTreeMap::new();
    let mut problems = Vec::new();
    for (n, edit) in edits.iter().enumerate() {
        let at = format!("edit {} ({})", n + 1, edit.path);
        let path = match RepoPath::parse(&edit.path) {
            Ok(p) => p.to_string(),
            Err(e) => {
                problems.push(format!("{at}: {e}"));
                continue;
            }
        };
        let now = files
            .entry(path.clone())
            .or_insert_with(|| current(&path))
            .clone();
        let next = if edit.delete {
            if now.is_none() {
                problems.push(format!("{at}: there is no such file to delete"));
                continue;
            }
            None
        } else if let Some(content) = &edit.content {
            if now.is_some() {
                problems.push(format!(
                    "{at}: the file exists; change it with search/replace blocks, not whole content"
                ));
                continue;
            }
            Some((content.clone(), edit.executable.unwrap_or(false)))
        } else if let (Some(search), Some(replace)) = (&edit.search, &edit.replace) {
            let Some((text, executable)) = now else {
                problems.push(format!(
                    "{at}: there is no such file; send a new file as whole `content`"
                ));
                continue;
            };
            if search.is_empty() {
                problems.push(format!("{at}: the search text is empty"));
                continue;
            }
            match text.matches(search.as_str()).count() {
                1 => Some((
                    text.replacen(search.as_str(), replace, 1),
                    edit.executable.unwrap_or(executable),
                )),
                0 => {
                    problems.push(format!(
                        "{at}: the search text does not occur in the file as it is now"
                    ));
                    continue;
                }
                many => {
                    problems.push(format!(
                        "{at}: the search text occurs {many} times; include more lines so it occurs once"
                    ));
                    continue;
                }
            }
        } else if let (Some(executable), Some((text, _))) = (edit.executable, &now) {
            Some((text.clone(), executable))
        } else {
            problems.push(format!(
                "{at}: an edit needs `search` and `replace`, `content` (a new file) or `delete`"
            ));
            continue;
        };
        files.insert(path, next);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(files
        .into_iter()
        .map(|(path, after)| match after {
            Some((content, executable)) => FileChange {
                path,
                content,
                deleted: false,
                executable,
            },
            None => FileChange {
                path,
                deleted: true,
                ..FileChange::default()
            },
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(v: serde_json::Value) -> Edit {
        serde_json::from_value(v).expect("an edit")
    }

    fn repo(path: &str) -> Option<(String, bool)> {
        match path {
            "src/cart.py" => Some(("def total(xs):\n    return 0\n".to_owned(), false)),
            "run.sh" => Some(("#!/bin/sh\necho hi\necho hi\n".to_owned(), true)),
            _ => None,
        }
    }

    #[test]
    fn edits_that_apply_become_whole_file_changes() {
        let edits = [
            edit(
                serde_json::json!({"path": "src/cart.py", "search": "return 0", "replace": "return sum(xs)"}),
            ),
            edit(serde_json::json!({"path": "src/new.py", "content": "X = 1\n"})),
            edit(serde_json::json!({"path": "run.sh", "delete": true})),
            edit(
                serde_json::json!({"path": "./src/cart.py", "search": "def total", "replace": "def total_of"}),
            ),
        ];
        let changes = apply(&edits, repo).expect("applies");
        let seen: Vec<(&str, &str, bool, bool)> = changes
            .iter()
            .map(|c| (c.path.as_str(), c.content.as_str(), c.deleted, c.executable))
            .collect();
        assert_eq!(
            seen,
            [
                ("run.sh", "", true, false),
                (
                    "src/cart.py",
                    "def total_of(xs):\n    return sum(xs)\n",
                    false,
                    false
                ),
                ("src/new.py", "X = 1\n", false, false),
            ]
        );
    }

    #[test]
    fn every_edit_that_does_not_apply_says_why() {
        let edits = [
            edit(serde_json::json!({"path": "src/cart.py", "search": "return 1", "replace": "x"})),
            edit(serde_json::json!({"path": "run.sh", "search": "echo hi", "replace": "x"})),
            edit(serde_json::json!({"path": "src/cart.py", "content": "whole"})),
            edit(serde_json::json!({"path": "nope.py", "search": "a", "replace": "b"})),
            edit(serde_json::json!({"path": "nope.py", "delete": true})),
            edit(serde_json::json!({"path": "../x", "content": "x"})),
            edit(serde_json::json!({"path": "src/cart.py"})),
        ];
        let problems = apply(&edits, repo).expect_err("none applies");
        let want = [
            "edit 1 (src/cart.py): the search text does not occur in the file as it is now",
            "edit 2 (run.sh): the search text occurs 2 times; include more lines so it occurs once",
            "edit 3 (src/cart.py): the file exists; change it with search/replace blocks, not whole content",
            "edit 4 (nope.py): there is no such file; send a new file as whole `content`",
            "edit 5 (nope.py): there is no such file to delete",
            "edit 6 (../x): path `../x` must be relative to the repository root, without `..`",
            "edit 7 (src/cart.py): an edit needs `search` and `replace`, `content` (a new file) or `delete`",
        ];
        assert_eq!(problems, want);
    }
}
