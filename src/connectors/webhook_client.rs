//! A small HTTP client for `salesagent webhook send`: posts a signed payload to a deployment, as
//! HubSpot would. Lives here because only `connectors/` talks to the network.

use std::time::Duration;

use super::http::chain;
use crate::error::{ConnectorError, ErrorClass, Result};

const SERVICE: &str = "webhook_target";

/// What the target answered (to a POST, GET or DELETE).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostResponse {
    pub status: u16,
    pub body: String,
}

/// POSTs `body` as JSON to `url` with `headers`.
pub fn post_json(
    url: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
    timeout: Duration,
) -> Result<PostResponse> {
    let mut request = client(timeout)?
        .post(url)
        .header("content-type", "application/json")
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    send("POST", url, request)
}

/// GETs `url` (a probe's status).
pub fn get(url: &str, timeout: Duration) -> Result<PostResponse> {
    send("GET", url, client(timeout)?.get(url))
}

/// DELETEs `url` (a finished probe's workflow).
pub fn delete(url: &str, timeout: Duration) -> Result<PostResponse> {
    send("DELETE", url, client(timeout)?.delete(url))
}

fn client(timeout: Duration) -> Result<reqwest::blocking::Client> {
    Ok(reqwest::blocking::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| ConnectorError::new(SERVICE, ErrorClass::Configuration, e.to_string()))?)
}

fn send(
    method: &str,
    url: &str,
    request: reqwest::blocking::RequestBuilder,
) -> Result<PostResponse> {
    let response = request.send().map_err(|e| {
        let class = if e.is_builder() {
            ErrorClass::Configuration
        } else {
            ErrorClass::Transient
        };
        ConnectorError::new(SERVICE, class, describe(method, url, &e))
    })?;
    let status = response.status().as_u16();
    let body = response.text().unwrap_or_default();
    Ok(PostResponse { status, body })
}

/// Why the request got no answer, with its cause: "connection refused (is serve running on
/// …?)" rather than reqwest's bare "error sending request".
fn describe(method: &str, url: &str, e: &reqwest::Error) -> String {
    if io_kind(e) == Some(std::io::ErrorKind::ConnectionRefused) {
        let target = reqwest::Url::parse(url)
            .ok()
            .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
            .unwrap_or_else(|| url.to_string());
        return format!(
            "{method} {url}: connection refused (is `salesagent serve` running on {target}?)"
        );
    }
    if e.is_timeout() {
        return format!("{method} {url}: no answer within the timeout");
    }
    if e.is_connect() {
        return format!("{method} {url}: cannot connect ({})", chain(e));
    }
    format!("{method} {url}: {e} ({})", chain(e))
}

/// The kind of the I/O error underneath `e`, if one caused it.
fn io_kind(e: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        cur = err.source();
    }
    None
}
