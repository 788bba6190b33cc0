//! Plain-text rendering of Block Kit JSON, for terminals (the shell adapter).
//!
//! Works on raw JSON so it renders whatever a Web API client posted, not only our own builders.

use serde_json::Value;

/// A button found while rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    /// The label.
    pub label: String,
    /// Its `action_id`.
    pub action_id: String,
    /// Its `value`, if any.
    pub value: Option<String>,
    /// Its block's `block_id`, if any.
    pub block_id: Option<String>,
}

/// Plain text of a message and the buttons in it, in order. `first_button` is the number given
/// to the first button (buttons are shown as `[n] Label`).
pub fn render(
    fallback: &str,
    blocks: Option<&Value>,
    first_button: usize,
) -> (String, Vec<Button>) {
    let Some(blocks) = blocks.and_then(Value::as_array).filter(|b| !b.is_empty()) else {
        return (mrkdwn_to_text(fallback), Vec::new());
    };
    let mut lines = Vec::new();
    let mut buttons: Vec<Button> = Vec::new();
    // Records `el` if it is a button; returns how it is shown.
    let mut take = |el: &Value, block_id: &Option<String>| -> Option<String> {
        if el.get("type").and_then(Value::as_str) != Some("button") {
            return None;
        }
        let label = text_of(el.get("text"));
        let shown = format!("[{}] {}", first_button + buttons.len(), label);
        buttons.push(Button {
            label,
            action_id: el
                .get("action_id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            value: el.get("value").and_then(Value::as_str).map(str::to_owned),
            block_id: block_id.clone(),
        });
        Some(shown)
    };
    for block in blocks {
        let block_id = block
            .get("block_id")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let kind = block
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match kind {
            "header" => lines.push(format!("== {} ==", text_of(block.get("text")))),
            "section" => {
                let mut t = text_of(block.get("text"));
                if let Some(shown) = block.get("accessory").and_then(|a| take(a, &block_id)) {
                    t = format!("{t}  {shown}");
                }
                if !t.is_empty() {
                    lines.push(t);
                }
                if let Some(fields) = block.get("fields").and_then(Value::as_array) {
                    let parts: Vec<String> = fields
                        .iter()
                        .map(|f| text_of(Some(f)).replace('\n', ": "))
                        .collect();
                    lines.push(parts.join(" | "));
                }
            }
            "context" => {
                let parts: Vec<String> = block
                    .get("elements")
                    .and_then(Value::as_array)
                    .map(|els| {
                        els.iter()
                            .map(|e| text_of(Some(e)))
                            .filter(|t| !t.is_empty())
                            .collect()
                    })
                    .unwrap_or_default();
                lines.push(parts.join(" "));
            }
            "divider" => lines.push("----".to_owned()),
            "actions" => {
                let row: Vec<String> = block
                    .get("elements")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|el| take(el, &block_id))
                    .collect();
                lines.push(row.join("  "));
            }
            _ => {}
        }
    }
    (lines.join("\n"), buttons)
}

fn text_of(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => mrkdwn_to_text(s),
        Some(obj @ Value::Object(_)) => obj
            .get("text")
            .and_then(Value::as_str)
            .map(mrkdwn_to_text)
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// Turns Slack mrkdwn into readable plain text: links, mentions, emphasis and common emoji.
pub fn mrkdwn_to_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let inner = &rest[start + 1..start + end];
        out.push_str(&match inner.split_once('|') {
            Some((url, label)) => format!("{label} ({url})"),
            None if inner.starts_with('@') || inner.starts_with('#') => inner.to_owned(),
            None if inner.starts_with("!subteam^") => format!("@{}", &inner["!subteam^".len()..]),
            None => inner.to_owned(),
        });
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    let out = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    EMOJI
        .iter()
        .fold(out.replace('*', ""), |acc, (code, plain)| {
            acc.replace(code, plain)
        })
}

const EMOJI: &[(&str, &str)] = &[
    (":inbox_tray:", "[intake]"),
    (":tada:", "[done]"),
    (":no_entry:", "[stopped]"),
    (":octagonal_sign:", "[stop]"),
    (":arrow_forward:", ">"),
    (":hourglass_flowing_sand:", "[pending]"),
    (":white_check_mark:", "[ok]"),
    (":x:", "[x]"),
    (":alarm_clock:", "[timeout]"),
    (":raised_hand:", "[!]"),
    (":double_vertical_bar:", "||"),
    (":warning:", "[!]"),
    (":information_source:", "[i]"),
    (":ballot_box_with_check:", "[vote]"),
    (":rotating_light:", "[!!]"),
    (":sos:", "[SOS]"),
    (":grey_question:", "[?]"),
    (":thinking_face:", "[?]"),
    (":brain:", "[consensus]"),
    (":point_right:", "->"),
    (":eyes:", "[ack]"),
    (":dart:", "[pick]"),
    (":rewind:", "[rollback]"),
    (":wrench:", "[fix]"),
    (":memo:", "[postmortem]"),
    (":bust_in_silhouette:", "[commander]"),
    (":white_small_square:", "-"),
    (":large_green_circle:", "[ok]"),
    (":red_circle:", "(red)"),
    (":large_orange_circle:", "(orange)"),
    (":large_yellow_circle:", "(yellow)"),
    (":white_circle:", "(white)"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn mrkdwn_becomes_readable() {
        assert_eq!(
            mrkdwn_to_text("*Hi* <@U1>, see <http://x/y|the UI> &amp; :tada:"),
            "Hi @U1, see the UI (http://x/y) & [done]"
        );
        assert_eq!(mrkdwn_to_text("a < b"), "a < b");
    }

    #[test]
    fn buttons_are_numbered_from_the_given_start() {
        let blocks = json!([
            {"type": "section", "text": {"type": "mrkdwn", "text": "Approve?"}},
            {"type": "actions", "block_id": "gate:intake", "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Approve"}, "action_id": "a", "value": "v"},
                {"type": "button", "text": {"type": "plain_text", "text": "Reject"}, "action_id": "r"}
            ]}
        ]);
        let (text, buttons) = render("fallback", Some(&blocks), 3);
        assert_eq!(text, "Approve?\n[3] Approve  [4] Reject");
        assert_eq!(buttons.len(), 2);
        assert_eq!(buttons[0].value.as_deref(), Some("v"));
        assert_eq!(buttons[1].block_id.as_deref(), Some("gate:intake"));
    }

    #[test]
    fn section_accessory_buttons_are_buttons_too() {
        let blocks = json!([
            {"type": "section", "block_id": "c1", "text": {"type": "mrkdwn", "text": "*1.* pool"},
             "accessory": {"type": "button", "text": {"type": "plain_text", "text": "Choose 1"}, "action_id": "c", "value": "v1"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "no button"},
             "accessory": {"type": "image", "image_url": "x", "alt_text": "x"}}
        ]);
        let (text, buttons) = render("fallback", Some(&blocks), 1);
        assert_eq!(text, "1. pool  [1] Choose 1\nno button");
        assert_eq!(buttons.len(), 1);
        assert_eq!(buttons[0].block_id.as_deref(), Some("c1"));
    }

    #[test]
    fn fallback_text_is_used_without_blocks() {
        assert_eq!(render("*plain*", None, 1), ("plain".to_owned(), vec![]));
        assert_eq!(render("x", Some(&json!([])), 1).0, "x");
    }
}
