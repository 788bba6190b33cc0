//! The URL an incident's context is fetched from: a configured template
//! (`CHATOPS__INCIDENT__CONTEXT_URLS`) with the alert's service put where `{service}` stands.
//!
//! The service comes from whoever sent the alert, so it is percent-encoded (a `/`, `?`, `#` or
//! `@` in it stays part of one path segment or query value) and the result must be on the host
//! and port of one of the configured templates: a template carried in workflow input that
//! points elsewhere is refused too.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use url::Url;

/// What stays as it is in a service name: RFC 3986's unreserved characters.
const SERVICE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Where context may be fetched from: the hosts and ports of the configured templates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextHosts(Vec<(String, u16)>);

impl ContextHosts {
    /// The hosts of `templates` (the configured ones; any that cannot be read are skipped, as
    /// the settings have refused them already).
    pub fn of(templates: &[String]) -> Self {
        let hosts = templates
            .iter()
            .filter_map(|t| Url::parse(&t.replace("{service}", "service")).ok())
            .filter_map(|u| origin(&u))
            .collect();
        Self(hosts)
    }

    fn allows(&self, url: &Url) -> bool {
        origin(url).is_some_and(|o| self.0.contains(&o))
    }
}

/// `template` with `service` in place of `{service}`, or why it may not be fetched.
pub fn context_url(template: &str, service: &str, hosts: &ContextHosts) -> Result<Url, String> {
    if service.trim().is_empty() {
        return Err("the alert names no service, so no context URL can be made".to_owned());
    }
    if matches!(service, "." | "..") {
        return Err(format!(
            "service `{service}` would change the path of the context URL; refusing it"
        ));
    }
    let encoded = utf8_percent_encode(service, SERVICE).to_string();
    let text = template.replace("{service}", &encoded);
    let url = Url::parse(&text).map_err(|e| format!("context URL `{text}` is not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || !hosts.allows(&url) {
        return Err(format!(
            "context URL `{url}` is not on the host of any CHATOPS__INCIDENT__CONTEXT_URLS template; it was not fetched"
        ));
    }
    Ok(url)
}

/// Host and port (the scheme's default when none is written).
fn origin(url: &Url) -> Option<(String, u16)> {
    Some((
        url.host_str()?.to_ascii_lowercase(),
        url.port_or_known_default()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts() -> ContextHosts {
        ContextHosts::of(&[
            "http://metrics.internal:9090/api/{service}/errors".to_owned(),
            "https://logs.internal/search?q=service%3D{service}&limit=50".to_owned(),
        ])
    }

    #[test]
    fn the_service_is_percent_encoded_where_it_stands() {
        let table = [
            (
                "http://metrics.internal:9090/api/{service}/errors",
                "checkout",
                "http://metrics.internal:9090/api/checkout/errors",
            ),
            (
                "http://metrics.internal:9090/api/{service}/errors",
                "team/a b?x#y",
                "http://metrics.internal:9090/api/team%2Fa%20b%3Fx%23y/errors",
            ),
            (
                "http://metrics.internal:9090/api/{service}/errors",
                "evil.example@x:1",
                "http://metrics.internal:9090/api/evil.example%40x%3A1/errors",
            ),
            (
                "https://logs.internal/search?q=service%3D{service}&limit=50",
                "a&limit=0",
                "https://logs.internal/search?q=service%3Da%26limit%3D0&limit=50",
            ),
            (
                "https://logs.internal/search?q=service%3D{service}&limit=50",
                "café",
                "https://logs.internal/search?q=service%3Dcaf%C3%A9&limit=50",
            ),
            (
                // The same host under another template, and the default port written out.
                "https://LOGS.internal:443/other/{service}",
                "..a",
                "https://logs.internal/other/..a",
            ),
        ];
        for (template, service, want) in table {
            let got = context_url(template, service, &hosts()).map(String::from);
            assert_eq!(got.as_deref(), Ok(want), "{template} with {service}");
        }
    }

    #[test]
    fn urls_off_the_configured_hosts_are_refused() {
        let table = [
            (
                "http://attacker.example/{service}",
                "checkout",
                "is not on the host of any CHATOPS__INCIDENT__CONTEXT_URLS template",
            ),
            (
                "http://metrics.internal:9091/api/{service}",
                "checkout",
                "is not on the host",
            ),
            (
                "https://metrics.internal/api/{service}",
                "checkout",
                "is not on the host",
            ),
            (
                "http://{service}/api",
                "attacker.example",
                "is not on the host",
            ),
            (
                "http://metrics.internal:9090/api/{service}/errors",
                "..",
                "would change the path",
            ),
            (
                "http://metrics.internal:9090/api/{service}/errors",
                ".",
                "would change the path",
            ),
            (
                "http://metrics.internal:9090/api/{service}/errors",
                " ",
                "names no service",
            ),
            ("file:///etc/{service}", "passwd", "is not on the host"),
        ];
        for (template, service, want) in table {
            let err = context_url(template, service, &hosts()).expect_err(template);
            assert!(err.contains(want), "{template} with {service}: {err}");
        }
        let none = ContextHosts::default();
        let err = context_url("http://metrics.internal:9090/{service}", "a", &none)
            .expect_err("nothing configured");
        assert!(err.contains("is not on the host"), "{err}");
    }
}
