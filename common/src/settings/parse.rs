//! Parsers for one setting's text. Each takes the trimmed value and returns the typed value, or
//! the message shown after the key (`` `soon` is not a duration like "90s" or "24h" (…) ``).
//!
//! They know nothing of keys or layers, so each is table-tested on its own;
//! [`Source`](super::source::Source) reads the text and puts the key in front of the message.

use secrecy::SecretString;
use std::{net::SocketAddr, time::Duration};
use url::Url;

/// A parsed value, or what is wrong with the text.
pub(super) type Parsed<T> = Result<T, String>;

/// A name without whitespace: a namespace, task queue, channel or user id.
pub(super) fn name(v: &str) -> Parsed<String> {
    if v.chars().any(char::is_whitespace) {
        return Err(format!("`{v}` must not contain spaces"));
    }
    Ok(v.to_owned())
}

/// An `http://` or `https://` URL.
pub(super) fn http_url(v: &str) -> Parsed<Url> {
    let u = Url::parse(v).map_err(|e| format!("`{v}` is not a URL ({e})"))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(format!("`{v}` must start with http:// or https://"));
    }
    Ok(u)
}

/// A human duration: `90s`, `24h`, `1h 30m`.
pub(super) fn duration(v: &str) -> Parsed<Duration> {
    humantime::parse_duration(v)
        .map_err(|e| format!("`{v}` is not a duration like \"90s\" or \"24h\" ({e})"))
}

/// A whole number from 1 to `max`.
pub(super) fn count(max: u32) -> impl Fn(&str) -> Parsed<u32> {
    move |v| match v.parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!("`{v}` must be a whole number from 1 to {max}")),
    }
}

/// A whole number from 0 to `max` (0 turns the thing off).
pub(super) fn up_to(max: u32) -> impl Fn(&str) -> Parsed<u32> {
    move |v| match v.parse::<u32>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(format!("`{v}` must be a whole number from 0 to {max}")),
    }
}

/// A number from 0 to 1 (a confidence or an overlap).
pub(super) fn fraction(v: &str) -> Parsed<f64> {
    number(
        v,
        |x| (0.0..=1.0).contains(&x),
        "a number from 0 to 1, like 0.7",
    )
}

/// A number from 0 to 100 (a score or a coverage).
pub(super) fn percent(v: &str) -> Parsed<f64> {
    number(
        v,
        |x| (0.0..=100.0).contains(&x),
        "a number from 0 to 100, like 85",
    )
}

/// A finite multiple above 1 (of a baseline).
pub(super) fn factor(v: &str) -> Parsed<f64> {
    number(v, |x| x > 1.0 && x.is_finite(), "a number above 1, like 3")
}

fn number(v: &str, fits: impl Fn(f64) -> bool, expected: &str) -> Parsed<f64> {
    match v.parse::<f64>() {
        Ok(x) if fits(x) => Ok(x),
        _ => Err(format!("`{v}` must be {expected}")),
    }
}

/// `true`/`yes`/`1`/`on` or `false`/`no`/`0`/`off`, in any case.
pub(super) fn flag(v: &str) -> Parsed<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" | "on" => Ok(true),
        "false" | "no" | "0" | "off" => Ok(false),
        other => Err(format!("`{other}` must be true or false")),
    }
}

/// An IP address and port to listen on.
pub(super) fn address(v: &str) -> Parsed<SocketAddr> {
    v.parse()
        .map_err(|_| format!("`{v}` is not an address like 127.0.0.1:7399"))
}

/// A size in bytes: `500MB`, `10GiB`, `1048576` (decimal and binary units, any case).
pub(super) fn bytes(v: &str) -> Parsed<u64> {
    let bad = || format!("`{v}` is not a size like \"10GiB\", \"500MB\" or \"1048576\"");
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (digits, unit) = v.split_at(split);
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let unit: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "kib" => 1 << 10,
        "mb" => 1_000_000,
        "mib" => 1 << 20,
        "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        "tb" => 1_000_000_000_000,
        "tib" => 1 << 40,
        _ => return Err(bad()),
    };
    match n.checked_mul(unit) {
        Some(b) if b > 0 => Ok(b),
        _ => Err(bad()),
    }
}

/// A comma-separated list; blank items are dropped.
pub(super) fn list(v: &str) -> Parsed<Vec<String>> {
    Ok(items(v).map(str::to_owned).collect())
}

/// A comma-separated list of environment variable names a child process may inherit; the
/// worker's own settings (`CHATOPS__*`) and Temporal's (`TEMPORAL_*`) hold secrets and are
/// refused.
pub(super) fn variable_names(v: &str) -> Parsed<Vec<String>> {
    items(v)
        .map(|name| {
            let mut chars = name.chars();
            let well_formed = chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !well_formed {
                Err(format!("`{name}` is not a variable name"))
            } else if name.starts_with("CHATOPS__") || name.starts_with("TEMPORAL_") {
                Err(format!(
                    "`{name}` holds the worker's own settings and may carry a secret; it is never passed to commands"
                ))
            } else {
                Ok(name.to_owned())
            }
        })
        .collect()
}

/// A comma-separated list of Slack user (`U…`, `W…`) and user group (`S…`) ids.
pub(super) fn principals(v: &str) -> Parsed<Vec<String>> {
    items(v)
        .map(|who| {
            if is_slack_principal(who) {
                Ok(who.to_owned())
            } else {
                Err(format!(
                    "`{who}` must be a Slack user id (U…) or user group id (S…)"
                ))
            }
        })
        .collect()
}

fn items(v: &str) -> impl Iterator<Item = &str> {
    v.split(',').map(str::trim).filter(|w| !w.is_empty())
}

/// Whether `who` is a Slack user id (`U…`, `W…`) or user group id (`S…`).
pub(super) fn is_slack_principal(who: &str) -> bool {
    who.len() > 1
        && who.starts_with(['U', 'W', 'S'])
        && who
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Someone to mention: text that starts like a Slack user (`U…`, `W…`) or user group (`S…`) id.
pub(super) fn mention(v: &str) -> Parsed<String> {
    if !v.starts_with(['U', 'S', 'W']) {
        return Err(format!(
            "`{v}` must be a Slack user id (U…) or user group id (S…)"
        ));
    }
    Ok(v.to_owned())
}

/// A GitHub repository, `owner/name`.
pub(super) fn repository(v: &str) -> Parsed<String> {
    if !chatops_contract::ids::is_repository(v) {
        return Err(format!("`{v}` must look like owner/name"));
    }
    Ok(v.to_owned())
}

/// A secret kept out of Debug output.
pub(super) fn secret(v: &str) -> Parsed<SecretString> {
    Ok(SecretString::from(v.to_owned()))
}

/// A secret that must start with `prefix` (Slack's `xoxb-`, `xapp-`); the message never
/// repeats the value.
pub(super) fn secret_with_prefix(prefix: &'static str) -> impl Fn(&str) -> Parsed<SecretString> {
    move |v| {
        if !v.starts_with(prefix) {
            return Err(format!("must start with `{prefix}`"));
        }
        secret(v)
    }
}

/// The contents of a file named by a setting; the message names the path and says what is
/// wrong with it.
fn read_file(v: &str) -> Parsed<Vec<u8>> {
    std::fs::read(v).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("`{v}` does not exist"),
        std::io::ErrorKind::PermissionDenied => {
            format!("`{v}` cannot be read by this user (permission denied)")
        }
        _ => format!("`{v}` cannot be read ({e})"),
    })
}

/// A PEM file of one or more certificates (`-----BEGIN CERTIFICATE-----`), returned as read.
pub(super) fn pem_certificates(v: &str) -> Parsed<Vec<u8>> {
    use rustls_pki_types::{CertificateDer, pem::PemObject};
    let pem = read_file(v)?;
    let mut count = 0;
    for cert in CertificateDer::pem_slice_iter(&pem) {
        cert.map_err(|e| format!("`{v}` is not a valid PEM certificate file ({e})"))?;
        count += 1;
    }
    if count == 0 {
        return Err(format!(
            "`{v}` holds no PEM certificate (a `-----BEGIN CERTIFICATE-----` block)"
        ));
    }
    Ok(pem)
}

/// A PEM private key file (PKCS#8, PKCS#1 or SEC1), returned as read.
pub(super) fn pem_private_key(v: &str) -> Parsed<Vec<u8>> {
    use rustls_pki_types::{PrivateKeyDer, pem::PemObject};
    let pem = read_file(v)?;
    match PrivateKeyDer::from_pem_slice(&pem) {
        Ok(_) => Ok(pem),
        Err(rustls_pki_types::pem::Error::NoItemsFound) => Err(format!(
            "`{v}` holds no PEM private key (a `-----BEGIN PRIVATE KEY-----` block)"
        )),
        Err(e) => Err(format!("`{v}` is not a valid PEM private key file ({e})")),
    }
}

/// A secret kept in a file (surrounding whitespace, such as a final newline, dropped); the
/// message never repeats the contents.
pub(super) fn secret_file(v: &str) -> Parsed<SecretString> {
    let bytes = read_file(v)?;
    let text = String::from_utf8(bytes).map_err(|_| format!("`{v}` is not UTF-8 text"))?;
    let secret = text.trim();
    if secret.is_empty() {
        return Err(format!("`{v}` is empty"));
    }
    secret_text(secret).map_err(|message| format!("`{v}`: the key {message}"))
}

/// A secret that goes into an HTTP header: printable ASCII, no spaces.
pub(super) fn secret_text(v: &str) -> Parsed<SecretString> {
    if !v.chars().all(|c| c.is_ascii_graphic()) {
        return Err("must be printable ASCII without spaces or line breaks".to_owned());
    }
    secret(v)
}

/// A DNS name (or IP address) a server certificate is issued for.
pub(super) fn server_name(v: &str) -> Parsed<String> {
    rustls_pki_types::ServerName::try_from(v)
        .map(|_| v.to_owned())
        .map_err(|_| format!("`{v}` is not a DNS name or IP address"))
}
