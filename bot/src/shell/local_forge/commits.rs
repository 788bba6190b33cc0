//! Commits: made with one fixed identity and date unless a request names others, and read
//! back.

use super::git::{Git, GitError};

/// Who commits, and when, unless a request says otherwise.
const NAME: &str = "Acme Developer";
const EMAIL: &str = "dev@acme.example";
const DATE: &str = "2026-01-01T00:00:00Z";

/// A commit as read back.
#[derive(Debug, Clone)]
pub struct CommitInfo {
    pub sha: String,
    pub tree: String,
    pub parents: Vec<String>,
    pub author: Person,
    pub committer: Person,
    pub message: String,
}

/// An author or committer.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub email: String,
    /// ISO 8601.
    pub date: String,
}

impl Default for Person {
    fn default() -> Self {
        Self {
            name: NAME.to_owned(),
            email: EMAIL.to_owned(),
            date: DATE.to_owned(),
        }
    }
}

impl Git {
    /// Makes a commit of `tree` on `parents`; its sha.
    pub fn commit_tree(
        &self,
        tree: &str,
        parents: &[String],
        message: &str,
        author: &Person,
        committer: &Person,
    ) -> Result<String, GitError> {
        let mut cmd = self.command();
        cmd.env("GIT_AUTHOR_NAME", &author.name)
            .env("GIT_AUTHOR_EMAIL", &author.email)
            .env("GIT_AUTHOR_DATE", &author.date)
            .env("GIT_COMMITTER_NAME", &committer.name)
            .env("GIT_COMMITTER_EMAIL", &committer.email)
            .env("GIT_COMMITTER_DATE", &committer.date);
        let mut args = vec!["commit-tree", tree];
        for p in parents {
            args.extend(["-p", p.as_str()]);
        }
        let out = self.run_with(cmd, &args, Some(message.as_bytes()))?;
        Ok(String::from_utf8_lossy(&out).trim().to_owned())
    }

    /// Commit `rev`, read back.
    pub fn read_commit(&self, rev: &str) -> Option<CommitInfo> {
        let sha = self.commit(rev)?;
        let out = self
            .text(&[
                "show",
                "-s",
                "--format=%T%n%P%n%an%n%ae%n%aI%n%cn%n%ce%n%cI%n%B",
                &sha,
            ])
            .ok()?;
        let mut lines = out.splitn(9, '\n');
        let mut next = || lines.next().unwrap_or_default().to_owned();
        let tree = next();
        let parents = next().split_whitespace().map(str::to_owned).collect();
        let author = Person {
            name: next(),
            email: next(),
            date: next(),
        };
        let committer = Person {
            name: next(),
            email: next(),
            date: next(),
        };
        let message = next();
        Some(CommitInfo {
            sha,
            tree,
            parents,
            author,
            committer,
            message,
        })
    }

    /// `(sha, message)` of the first-parent history of `rev`, oldest first.
    pub fn log(&self, rev: &str) -> Vec<(String, String)> {
        let Ok(out) = self.run(
            &[
                "log",
                "--first-parent",
                "--reverse",
                "--format=%H%x00%B%x00",
                rev,
            ],
            None,
        ) else {
            return Vec::new();
        };
        let text = String::from_utf8_lossy(&out);
        let fields: Vec<&str> = text.split('\0').collect();
        fields
            .chunks(2)
            .filter(|c| c.len() == 2)
            .map(|c| (c[0].trim().to_owned(), c[1].trim_end().to_owned()))
            .collect()
    }
}
