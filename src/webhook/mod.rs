//! Webhook authentication policy: which HubSpot signature versions are accepted, and how the URI a
//! signature covers is rebuilt. Pure: no I/O, no clock (callers pass `now_ms`). The primitives live
//! in [`signature`]; the HTTP handling lives in `server/`.

pub mod signature;

pub use signature::{SignatureError, Window};

pub const HEADER_V3: &str = "x-hubspot-signature-v3";
pub const HEADER_TIMESTAMP: &str = "x-hubspot-request-timestamp";
pub const HEADER_SIGNATURE: &str = "x-hubspot-signature";
pub const HEADER_VERSION: &str = "x-hubspot-signature-version";

/// The header values of one request that matter for verification.
#[derive(Clone, Copy, Debug, Default)]
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The full URL the sender called (see [`full_uri`]).
    pub uri: &'a str,
    pub body: &'a [u8],
    pub v3_signature: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub version: Option<&'a str>,
}

/// What passed: the version, and the v3 signature (a replay of it is a duplicate).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub version: &'static str,
    pub replay_key: Option<String>,
}

/// The accepted signature versions and the secret. v3 is always accepted; v1 and v2 only when
/// enabled in `webhook.signature_versions`.
#[derive(Clone)]
pub struct Verifier {
    secret: String,
    /// Also accepted while a rotation is under way (`webhook.previous_secret`).
    previous: Option<String>,
    allow_v1: bool,
    allow_v2: bool,
    max_age_ms: i64,
    max_skew_ms: i64,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("secret", &"***")
            .field("allow_v1", &self.allow_v1)
            .field("allow_v2", &self.allow_v2)
            .finish()
    }
}

impl Verifier {
    pub fn new(secret: &str, versions: &[String], max_skew_secs: u64) -> Verifier {
        Verifier {
            secret: secret.to_string(),
            previous: None,
            allow_v1: versions.iter().any(|v| v == "v1"),
            allow_v2: versions.iter().any(|v| v == "v2"),
            max_age_ms: signature::MAX_AGE_MS,
            max_skew_ms: (max_skew_secs as i64).saturating_mul(1000),
        }
    }

    /// Accepts signatures made with `previous` too, so HubSpot's requests signed before a secret
    /// rotation reached it are not refused (HubSpot does not retry a 401).
    pub fn with_previous(mut self, previous: Option<&str>) -> Verifier {
        self.previous = previous.filter(|p| !p.is_empty()).map(str::to_string);
        self
    }

    /// A v3 signature when present; otherwise v1/v2 as the version header says, when enabled.
    /// The current secret first, then the previous one; only a mismatch tries the next.
    pub fn verify(&self, req: &SignedRequest<'_>, now_ms: i64) -> Result<Verified, SignatureError> {
        match self.verify_with(&self.secret, req, now_ms) {
            Err(SignatureError::Mismatch) if self.previous.is_some() => {
                let previous = self.previous.as_deref().unwrap_or_default();
                self.verify_with(previous, req, now_ms)
            }
            result => result,
        }
    }

    fn verify_with(
        &self,
        secret: &str,
        req: &SignedRequest<'_>,
        now_ms: i64,
    ) -> Result<Verified, SignatureError> {
        if let Some(sig) = req.v3_signature {
            let ts = req
                .timestamp
                .ok_or(SignatureError::MissingHeader(HEADER_TIMESTAMP))?;
            let window = Window {
                now_ms,
                max_age_ms: self.max_age_ms,
                max_skew_ms: self.max_skew_ms,
            };
            signature::verify_v3(secret, req.method, req.uri, req.body, ts, sig, window)?;
            return Ok(Verified {
                version: "v3",
                replay_key: Some(sig.trim().to_string()),
            });
        }
        let sig = req
            .signature
            .ok_or(SignatureError::MissingHeader(HEADER_V3))?;
        match req.version.map(str::trim) {
            Some("v1") if self.allow_v1 => {
                signature::verify_v1(secret, req.body, sig)?;
                Ok(Verified {
                    version: "v1",
                    replay_key: None,
                })
            }
            Some("v2") if self.allow_v2 => {
                signature::verify_v2(secret, req.method, req.uri, req.body, sig)?;
                Ok(Verified {
                    version: "v2",
                    replay_key: None,
                })
            }
            Some(other) => Err(SignatureError::VersionNotEnabled(
                other.chars().take(8).collect(),
            )),
            None => Err(SignatureError::MissingHeader(HEADER_VERSION)),
        }
    }
}

/// The headers that sign `body` for `url` with the given version (`v1`, `v2` or `v3`).
pub fn signed_headers(
    secret: &str,
    version: &str,
    url: &str,
    body: &[u8],
    now_ms: i64,
) -> Vec<(&'static str, String)> {
    match version {
        "v1" => vec![
            ("X-HubSpot-Signature", signature::sign_v1(secret, body)),
            ("X-HubSpot-Signature-Version", "v1".into()),
        ],
        "v2" => vec![
            (
                "X-HubSpot-Signature",
                signature::sign_v2(secret, "POST", url, body),
            ),
            ("X-HubSpot-Signature-Version", "v2".into()),
        ],
        _ => vec![
            (
                "X-HubSpot-Signature-v3",
                signature::sign_v3(secret, "POST", url, body, now_ms),
            ),
            ("X-HubSpot-Request-Timestamp", now_ms.to_string()),
        ],
    }
}

/// The URL a signature covers. Behind a proxy `public_url` names it: a bare origin
/// (`https://hooks.example.com`) gets the request's path and query appended, a URL with a path is
/// taken as the endpoint and only gets the query. Without it: `http://{host}{path_and_query}`.
pub fn full_uri(public_url: Option<&str>, host: &str, path_and_query: &str) -> String {
    match public_url {
        Some(public) => {
            let public = public.trim_end_matches('/');
            let after_scheme = public.split_once("://").map_or(public, |(_, rest)| rest);
            if after_scheme.contains('/') {
                match path_and_query.split_once('?') {
                    Some((_, query)) => format!("{public}?{query}"),
                    None => public.to_string(),
                }
            } else {
                format!("{public}{path_and_query}")
            }
        }
        None => format!("http://{host}{path_and_query}"),
    }
}

/// The `public_url` of a tenant's own URL: a bare origin stays as it is (the request's path, which
/// names the tenant, is appended by [`full_uri`]); an endpoint with a path is the shared URL, and
/// the tenant's is that endpoint plus `/<tenant>` (as `/api/webhooks/hubspot/forms/<tenant>` is).
pub fn tenant_public_url(public_url: &str, tenant: &str) -> String {
    let public = public_url.trim_end_matches('/');
    let after_scheme = public.split_once("://").map_or(public, |(_, rest)| rest);
    if after_scheme.contains('/') {
        format!("{public}/{tenant}")
    } else {
        public.to_string()
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_tenants_public_url_is_the_shared_endpoint_plus_its_slug() {
        use super::{full_uri, tenant_public_url};
        let endpoint = tenant_public_url("https://hooks.example.com/in/hubspot/", "acme");
        assert_eq!(endpoint, "https://hooks.example.com/in/hubspot/acme");
        assert_eq!(
            full_uri(
                Some(&endpoint),
                "internal:8080",
                "/api/webhooks/hubspot/forms/acme?x=1"
            ),
            "https://hooks.example.com/in/hubspot/acme?x=1"
        );
        let origin = tenant_public_url("https://hooks.example.com", "acme");
        assert_eq!(
            full_uri(
                Some(&origin),
                "internal:8080",
                "/api/webhooks/hubspot/forms/acme"
            ),
            "https://hooks.example.com/api/webhooks/hubspot/forms/acme"
        );
    }

    #[test]
    fn the_previous_secret_is_accepted_during_a_rotation() {
        let uri = "https://hooks.example.com/api/webhooks/hubspot/forms";
        let body = br#"{"fieldValues": []}"#;
        let now = 1_764_412_800_000;
        let old = signature::sign_v3("old", "POST", uri, body, now);
        let req = SignedRequest {
            method: "POST",
            uri,
            body,
            v3_signature: Some(&old),
            timestamp: Some("1764412800000"),
            ..Default::default()
        };
        let only_new = Verifier::new("new", &[], 30);
        assert_eq!(only_new.verify(&req, now), Err(SignatureError::Mismatch));
        let rotating = Verifier::new("new", &[], 30).with_previous(Some("old"));
        assert_eq!(rotating.verify(&req, now).unwrap().version, "v3");
        let other = signature::sign_v3("neither", "POST", uri, body, now);
        let req = SignedRequest {
            v3_signature: Some(&other),
            ..req
        };
        assert_eq!(rotating.verify(&req, now), Err(SignatureError::Mismatch));
    }

    use super::*;

    const URL: &str = "http://127.0.0.1:8080/api/webhooks/hubspot/forms";

    fn req<'a>(headers: &'a [(&'static str, String)], body: &'a [u8]) -> SignedRequest<'a> {
        let get = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        SignedRequest {
            method: "POST",
            uri: URL,
            body,
            v3_signature: get(HEADER_V3),
            timestamp: get(HEADER_TIMESTAMP),
            signature: get(HEADER_SIGNATURE),
            version: get(HEADER_VERSION),
        }
    }

    #[test]
    fn signed_headers_verify_for_every_enabled_version() {
        let all = Verifier::new("s", &["v1".into(), "v2".into(), "v3".into()], 30);
        for version in ["v1", "v2", "v3"] {
            let h = signed_headers("s", version, URL, b"{}", 1000);
            let verified = all.verify(&req(&h, b"{}"), 1000).unwrap();
            assert_eq!(verified.version, version);
        }
    }

    #[test]
    fn v1_and_v2_need_enabling() {
        let v3_only = Verifier::new("s", &["v3".into()], 30);
        let h = signed_headers("s", "v1", URL, b"{}", 1000);
        assert_eq!(
            v3_only.verify(&req(&h, b"{}"), 1000),
            Err(SignatureError::VersionNotEnabled("v1".into()))
        );
    }

    #[test]
    fn missing_headers_are_named() {
        let v = Verifier::new("s", &["v3".into()], 30);
        assert_eq!(
            v.verify(&req(&[], b"{}"), 0),
            Err(SignatureError::MissingHeader(HEADER_V3))
        );
        let only_sig = [("X-HubSpot-Signature-v3", "abc".to_string())];
        assert_eq!(
            v.verify(&req(&only_sig, b"{}"), 0),
            Err(SignatureError::MissingHeader(HEADER_TIMESTAMP))
        );
    }

    #[test]
    fn full_uri_follows_the_public_url() {
        let p = "/api/webhooks/hubspot/forms?x=1";
        assert_eq!(
            full_uri(None, "localhost:8080", p),
            "http://localhost:8080/api/webhooks/hubspot/forms?x=1"
        );
        assert_eq!(
            full_uri(Some("https://hooks.example.com/"), "internal", p),
            "https://hooks.example.com/api/webhooks/hubspot/forms?x=1"
        );
        assert_eq!(
            full_uri(Some("https://hooks.example.com/hs/forms"), "internal", p),
            "https://hooks.example.com/hs/forms?x=1"
        );
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;
    use crate::props::{awkward_text, config};

    const NOW: i64 = 1_764_412_800_000;

    fn all_versions() -> Verifier {
        Verifier::new("secret", &["v1".into(), "v2".into(), "v3".into()], 60)
    }

    /// A header value: any text, or a number as text (timestamps near and far from now).
    fn header() -> impl Strategy<Value = Option<String>> {
        proptest::option::of(prop_oneof![
            awkward_text(40),
            any::<i64>().prop_map(|n| n.to_string()),
            (-400_000i64..400_000).prop_map(|d| (NOW + d).to_string()),
            proptest::sample::select(&["v1", "v2", "v3", " v2 ", ""][..]).prop_map(str::to_string),
            "[A-Za-z0-9+/=]{0,48}",
        ])
    }

    /// URLs of ASCII with percent-escapes, HubSpot's decoded ones among them.
    fn url() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            "[a-zA-Z0-9/?&=._~-]{1,6}",
            proptest::sample::select(&["%3A", "%2f", "%3F", "%40", "%20", "%", "%2", "%%3A"][..])
                .prop_map(str::to_string),
        ];
        proptest::collection::vec(piece, 0..8)
            .prop_map(|p| format!("https://hooks.example.com/{}", p.concat()))
    }

    #[derive(Clone, Copy, Debug)]
    enum Part {
        Method,
        Url,
        Body,
        Timestamp,
    }

    /// `text` with its byte at `at` (modulo its length) replaced by another ASCII byte.
    fn change_byte(text: &[u8], at: usize, to: u8) -> Vec<u8> {
        let mut out = text.to_vec();
        let i = at % out.len();
        let mut b = to & 0x7f;
        if b == out[i] {
            b = (b + 1) & 0x7f;
        }
        out[i] = b;
        out
    }

    fn ascii(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).expect("ASCII stays UTF-8")
    }

    proptest! {
        #![proptest_config(config(256))]

        /// Invariant: whatever the headers, body, URL, clock and settings, verification returns
        /// Ok or a typed SignatureError, never a panic (overflowing timestamps included).
        #[test]
        fn verification_never_panics(
            method in awkward_text(8),
            uri in awkward_text(40),
            body in proptest::collection::vec(any::<u8>(), 0..64),
            v3 in header(), timestamp in header(), signature in header(), version in header(),
            now_ms in prop_oneof![any::<i64>(), Just(NOW), Just(i64::MIN), Just(i64::MAX)],
            skew in prop_oneof![any::<u64>(), 0u64..120],
        ) {
            let verifier = Verifier::new("secret", &["v1".into(), "v2".into()], skew)
                .with_previous(Some("old"));
            let req = SignedRequest {
                method: &method,
                uri: &uri,
                body: &body,
                v3_signature: v3.as_deref(),
                timestamp: timestamp.as_deref(),
                signature: signature.as_deref(),
                version: version.as_deref(),
            };
            let _ = verifier.verify(&req, now_ms);
            let _ = signature::v3_uri(&uri);
            let _ = full_uri(v3.as_deref(), &method, &uri);
        }

        /// Invariant: a request signed with v1, v2 or v3 verifies, and changing one byte of
        /// anything that version signs (v1: the body; v2: method, URL, body; v3: those and the
        /// timestamp) fails it. The one exception is a URL change that HubSpot's v3 decoding
        /// maps to the same URL (`%3a` for `%3A`), which is the same URL.
        #[test]
        fn one_changed_byte_fails_verification(
            version in proptest::sample::select(&["v1", "v2", "v3"][..]),
            method in prop_oneof![Just("POST".to_string()), "[A-Z]{1,7}"],
            url in url(),
            body in proptest::collection::vec(any::<u8>(), 1..64),
            age in -50_000i64..250_000,
            part in prop_oneof![Just(Part::Method), Just(Part::Url), Just(Part::Body), Just(Part::Timestamp)],
            at in any::<usize>(),
            to in any::<u8>(),
        ) {
            let ts = NOW - age;
            let sig = match version {
                "v1" => signature::sign_v1("secret", &body),
                "v2" => signature::sign_v2("secret", &method, &url, &body),
                _ => signature::sign_v3("secret", &method, &url, &body, ts),
            };
            let ts_text = ts.to_string();
            let request = |method: &str, url: &str, body: &[u8], ts: &str| {
                let (v3_signature, signature, timestamp) = match version {
                    "v3" => (Some(sig.clone()), None, Some(ts.to_string())),
                    _ => (None, Some(sig.clone()), None),
                };
                let req = SignedRequest {
                    method,
                    uri: url,
                    body,
                    v3_signature: v3_signature.as_deref(),
                    timestamp: timestamp.as_deref(),
                    signature: signature.as_deref(),
                    version: Some(version),
                };
                all_versions().verify(&req, NOW).map(|v| v.version)
            };
            prop_assert_eq!(request(&method, &url, &body, &ts_text), Ok(version));
            let signed = matches!(
                (version, part),
                ("v1", Part::Body) | ("v2", Part::Method | Part::Url | Part::Body) | ("v3", _)
            );
            let changed = match part {
                Part::Method => request(&ascii(change_byte(method.as_bytes(), at, to)), &url, &body, &ts_text),
                Part::Url => {
                    let changed = ascii(change_byte(url.as_bytes(), at, to));
                    prop_assume!(version != "v3" || signature::v3_uri(&changed) != signature::v3_uri(&url));
                    request(&method, &changed, &body, &ts_text)
                }
                Part::Body => request(&method, &url, &change_byte(&body, at, to), &ts_text),
                Part::Timestamp => request(&method, &url, &body, &ascii(change_byte(ts_text.as_bytes(), at, to))),
            };
            if signed {
                prop_assert!(changed.is_err(), "{part:?} changed and still {changed:?}");
            } else {
                prop_assert_eq!(changed, Ok(version), "{:?} is not signed by {}", part, version);
            }
        }
    }
}
