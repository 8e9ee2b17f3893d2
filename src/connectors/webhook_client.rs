//! A small HTTP client for `salesagent webhook send`: posts a signed payload to a deployment, as
//! HubSpot would. Lives here because only `connectors/` talks to the network.

use std::time::Duration;

use crate::error::{ConnectorError, ErrorClass, Result};

const SERVICE: &str = "webhook_target";

/// What the target answered.
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
    let client = reqwest::blocking::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| ConnectorError::new(SERVICE, ErrorClass::Configuration, e.to_string()))?;
    let mut request = client
        .post(url)
        .header("content-type", "application/json")
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().map_err(|e| {
        let class = if e.is_builder() {
            ErrorClass::Configuration
        } else {
            ErrorClass::Transient
        };
        ConnectorError::new(SERVICE, class, format!("POST {url}: {e}"))
    })?;
    let status = response.status().as_u16();
    let body = response.text().unwrap_or_default();
    Ok(PostResponse { status, body })
}
