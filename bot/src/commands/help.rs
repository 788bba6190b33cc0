//! Help text from one source: each subcommand's `#[help(usage, what)]` line is both its doc
//! comment and its row in the command's help table, which `/… help`, `/chatops help` and the
//! usage lines of parse errors read.

/// Declares a command's subcommand enum; each variant's `#[help("usage", "what it does")]`
/// becomes its doc comment and its row in `HELP`, in declaration order, and `usage(sub)` finds
/// a subcommand's usage line by name.
macro_rules! subcommands {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                #[help($usage:literal, $what:literal)]
                $variant:ident $({ $($fields:tt)* })?
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $(
                #[doc = concat!("`", $usage, "`: ", $what, ".")]
                $variant $({ $($fields)* })?,
            )*
        }

        impl $name {
            /// Usage and description of every subcommand, in the order help lists them.
            pub const HELP: &'static [(&'static str, &'static str)] = &[$(($usage, $what)),*];

            /// The usage line of subcommand `sub` (the help line when there is none).
            pub fn usage(sub: &str) -> &'static str {
                $crate::commands::help::usage(Self::HELP, sub)
            }
        }
    };
}

pub(crate) use subcommands;

/// The usage line in `table` whose subcommand (second word) is `sub`, else the help line.
pub fn usage(table: &[(&'static str, &'static str)], sub: &str) -> &'static str {
    let named = |want: &str| {
        table
            .iter()
            .map(|(usage, _)| *usage)
            .find(|usage| usage.split_whitespace().nth(1) == Some(want))
    };
    named(sub).or_else(|| named("help")).unwrap_or_default()
}

/// A help text: `heading`, one bullet per row of `table`, then `footer`.
pub fn render(heading: &str, table: &[(&str, &str)], footer: &str) -> String {
    let mut out = format!("{heading}\n");
    for (usage, what) in table {
        out.push_str(&bullet(usage, what));
    }
    out.push_str(footer);
    out
}

/// One help row: `• `usage` — what`.
pub fn bullet(usage: &str, what: &str) -> String {
    format!("• `{}` — {what}\n", chatops_blocks::escape(usage))
}
