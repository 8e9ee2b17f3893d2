//! HubSpot request signatures v1, v2 and v3: pure functions over bytes, one per version, with a typed
//! error and a constant-time comparison. No I/O, no clock: callers pass `now_ms`.
//!
//! - v1: `X-HubSpot-Signature` = hex(sha256(secret + body))
//! - v2: `X-HubSpot-Signature` = hex(sha256(secret + method + uri + body))
//! - v3: `X-HubSpot-Signature-v3` = base64(hmac_sha256(secret, method + uri + body + timestamp)),
//!   with `X-HubSpot-Request-Timestamp` in epoch milliseconds inside a window. HubSpot signs the
//!   URI after decoding a fixed set of percent-escapes ([`v3_uri`]); we verify against that form
//!   and, for senders that signed the URI as sent, against the raw form too.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// How old a v3 timestamp may be (HubSpot's documented 5 minutes).
pub const MAX_AGE_MS: i64 = 300_000;

/// Why a request failed verification. The server answers every one of them with a bare 401.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("header {0} is missing")]
    MissingHeader(&'static str),
    #[error("the signature is not well-formed")]
    Malformed,
    #[error("the signature does not match")]
    Mismatch,
    #[error("the request timestamp {0:?} is not a number of milliseconds")]
    BadTimestamp(String),
    #[error("the request timestamp is {age_ms} ms old (limit {max_ms} ms)")]
    TooOld { age_ms: i64, max_ms: i64 },
    #[error("the request timestamp is {ahead_ms} ms in the future (limit {max_ms} ms)")]
    TooNew { ahead_ms: i64, max_ms: i64 },
    #[error("signature version {0:?} is not enabled")]
    VersionNotEnabled(String),
}

impl SignatureError {
    /// A short reason for logs and metrics: what an operator looks for first.
    pub fn reason(&self) -> &'static str {
        match self {
            SignatureError::MissingHeader(_) => "missing_header",
            SignatureError::Malformed => "malformed",
            SignatureError::Mismatch => "mismatch",
            SignatureError::BadTimestamp(_) => "bad_timestamp",
            SignatureError::TooOld { .. } => "stale",
            SignatureError::TooNew { .. } => "future",
            SignatureError::VersionNotEnabled(_) => "version_not_enabled",
        }
    }
}

/// The percent-escapes HubSpot decodes in the request URI before signing v3 ("Validate the v3
/// request signature", step 2), and what each stands for.
pub const V3_DECODED: [(&str, char); 12] = [
    ("%3A", ':'),
    ("%2F", '/'),
    ("%3F", '?'),
    ("%40", '@'),
    ("%21", '!'),
    ("%24", '$'),
    ("%27", '\''),
    ("%28", '('),
    ("%29", ')'),
    ("%2A", '*'),
    ("%2C", ','),
    ("%3B", ';'),
];

/// The URI as HubSpot signs it for v3: the escapes of [`V3_DECODED`] decoded (either hex case),
/// every other byte as it was.
pub fn v3_uri(uri: &str) -> Cow<'_, str> {
    if !uri.contains('%') {
        return Cow::Borrowed(uri);
    }
    let mut out = String::with_capacity(uri.len());
    let mut rest = uri;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let escape = rest.get(i..i + 3);
        let decoded = escape.and_then(|e| {
            V3_DECODED
                .iter()
                .find(|(code, _)| code.eq_ignore_ascii_case(e))
                .map(|(_, c)| *c)
        });
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[i + 3..];
            }
            None => {
                out.push('%');
                rest = &rest[i + 1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The v3 timestamp window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub now_ms: i64,
    pub max_age_ms: i64,
    pub max_skew_ms: i64,
}

fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for p in parts {
        hasher.update(p);
    }
    hex::encode(hasher.finalize())
}

fn hmac_v3(secret: &str, method: &str, uri: &str, body: &[u8], timestamp: &str) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(method.as_bytes());
    mac.update(uri.as_bytes());
    mac.update(body);
    mac.update(timestamp.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Compares in time that depends only on the lengths, never on where the bytes differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

pub fn sign_v1(secret: &str, body: &[u8]) -> String {
    sha256_hex(&[secret.as_bytes(), body])
}

pub fn sign_v2(secret: &str, method: &str, uri: &str, body: &[u8]) -> String {
    sha256_hex(&[secret.as_bytes(), method.as_bytes(), uri.as_bytes(), body])
}

/// Signs as HubSpot does: over the URI with the escapes of [`V3_DECODED`] decoded.
pub fn sign_v3(secret: &str, method: &str, uri: &str, body: &[u8], timestamp_ms: i64) -> String {
    BASE64.encode(hmac_v3(
        secret,
        method,
        &v3_uri(uri),
        body,
        &timestamp_ms.to_string(),
    ))
}

fn verify_hex(expected_hex: &str, given: &str) -> Result<(), SignatureError> {
    let given = hex::decode(given.trim()).map_err(|_| SignatureError::Malformed)?;
    let expected = hex::decode(expected_hex).map_err(|_| SignatureError::Malformed)?;
    if constant_time_eq(&expected, &given) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

pub fn verify_v1(secret: &str, body: &[u8], signature: &str) -> Result<(), SignatureError> {
    verify_hex(&sign_v1(secret, body), signature)
}

pub fn verify_v2(
    secret: &str,
    method: &str,
    uri: &str,
    body: &[u8],
    signature: &str,
) -> Result<(), SignatureError> {
    verify_hex(&sign_v2(secret, method, uri, body), signature)
}

/// Checks the timestamp window first (a stale replay is refused even with a valid signature),
/// then the HMAC over the timestamp exactly as sent.
pub fn verify_v3(
    secret: &str,
    method: &str,
    uri: &str,
    body: &[u8],
    timestamp: &str,
    signature: &str,
    window: Window,
) -> Result<(), SignatureError> {
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureError::BadTimestamp(timestamp.chars().take(32).collect()))?;
    // Saturating: a timestamp header far from now must be out of the window, never an overflow.
    let age = window.now_ms.saturating_sub(ts);
    if age > window.max_age_ms {
        return Err(SignatureError::TooOld {
            age_ms: age,
            max_ms: window.max_age_ms,
        });
    }
    let ahead = ts.saturating_sub(window.now_ms);
    if ahead > window.max_skew_ms {
        return Err(SignatureError::TooNew {
            ahead_ms: ahead,
            max_ms: window.max_skew_ms,
        });
    }
    let given = BASE64
        .decode(signature.trim())
        .map_err(|_| SignatureError::Malformed)?;
    let decoded = v3_uri(uri);
    let matches =
        |uri: &str| constant_time_eq(&hmac_v3(secret, method, uri, body, timestamp), &given);
    // HubSpot's form first; the URI exactly as sent for senders that sign it undecoded.
    if matches(&decoded) || (decoded != uri && matches(uri)) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // HubSpot's documented examples ("Validating requests from HubSpot").
    const SECRET: &str = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";
    const V1_BODY: &str = r#"[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}]"#;
    const URI: &str = "https://www.example.com/webhook_uri";
    const V2_BODY: &str = r#"{"example_field":"example_value"}"#;
    const TS: i64 = 1_700_000_000_000;
    // Computed independently: printf '%s' 'POST<uri><body>1700000000000' | openssl dgst -sha256 -hmac <secret> -binary | base64
    const V3_SIG: &str = "rQEKkaNUiu+1qGF//O/pw4BCzstSqO1PyUnGICmf+7o=";

    fn window(now_ms: i64) -> Window {
        Window {
            now_ms,
            max_age_ms: MAX_AGE_MS,
            max_skew_ms: 30_000,
        }
    }

    #[test]
    fn v1_matches_hubspots_example() {
        let sig = sign_v1(SECRET, V1_BODY.as_bytes());
        assert_eq!(
            sig,
            "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"
        );
        assert_eq!(verify_v1(SECRET, V1_BODY.as_bytes(), &sig), Ok(()));
        assert_eq!(
            verify_v1("other", V1_BODY.as_bytes(), &sig),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn v2_matches_hubspots_examples() {
        assert_eq!(
            sign_v2(SECRET, "GET", URI, b""),
            "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"
        );
        let sig = sign_v2(SECRET, "POST", URI, V2_BODY.as_bytes());
        assert_eq!(
            sig,
            "9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900"
        );
        assert_eq!(
            verify_v2(SECRET, "POST", URI, V2_BODY.as_bytes(), &sig),
            Ok(())
        );
        assert_eq!(
            verify_v2(
                SECRET,
                "POST",
                "https://www.example.com/other",
                V2_BODY.as_bytes(),
                &sig
            ),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn v3_known_answer_and_round_trip() {
        assert_eq!(sign_v3(SECRET, "POST", URI, V2_BODY.as_bytes(), TS), V3_SIG);
        let ok = verify_v3(
            SECRET,
            "POST",
            URI,
            V2_BODY.as_bytes(),
            &TS.to_string(),
            V3_SIG,
            window(TS + 1000),
        );
        assert_eq!(ok, Ok(()));
    }

    #[test]
    fn v3_refuses_tampering() {
        let v = |secret: &str, uri: &str, body: &[u8], ts: &str, sig: &str| {
            verify_v3(secret, "POST", uri, body, ts, sig, window(TS))
        };
        let ts = TS.to_string();
        let body = V2_BODY.as_bytes();
        assert_eq!(
            v("wrong", URI, body, &ts, V3_SIG),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            v(
                SECRET,
                "https://www.example.com/webhook_uri2",
                body,
                &ts,
                V3_SIG
            ),
            Err(SignatureError::Mismatch)
        );
        let mut changed = body.to_vec();
        changed[3] ^= 1;
        assert_eq!(
            v(SECRET, URI, &changed, &ts, V3_SIG),
            Err(SignatureError::Mismatch)
        );
        // A shorter body (a partial read) and a truncated signature.
        assert_eq!(
            v(SECRET, URI, &body[..body.len() - 1], &ts, V3_SIG),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            v(SECRET, URI, body, &ts, &V3_SIG[..20]),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            v(SECRET, URI, body, &(TS - 1).to_string(), V3_SIG),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            v(SECRET, URI, body, &ts, "!!!"),
            Err(SignatureError::Malformed)
        );
        assert!(matches!(
            v(SECRET, URI, body, "yesterday", V3_SIG),
            Err(SignatureError::BadTimestamp(_))
        ));
    }

    /// Found by `webhook::props::verification_never_panics`: `now - ts` overflowed (a panic in
    /// debug builds; in release a wrapped age of exactly `i64::MIN` even passed the window).
    #[test]
    fn timestamps_at_the_ends_of_i64_are_out_of_the_window() {
        let sig = sign_v3(SECRET, "POST", URI, b"{}", 0);
        for (ts, now) in [
            ("-9223372036854775808", TS),
            ("9223372036854775807", TS),
            ("-1", i64::MAX),
            ("1", i64::MIN),
        ] {
            let result = verify_v3(SECRET, "POST", URI, b"{}", ts, &sig, window(now));
            assert!(
                matches!(
                    result,
                    Err(SignatureError::TooOld { .. } | SignatureError::TooNew { .. })
                ),
                "{ts} at {now}: {result:?}"
            );
        }
        // The case that wrapped: now - ts == i64::MIN in two's complement, a correctly signed
        // timestamp some 292 million years ago.
        let ts = TS.wrapping_sub(i64::MIN);
        let sig = sign_v3(SECRET, "POST", URI, b"{}", ts);
        let result = verify_v3(
            SECRET,
            "POST",
            URI,
            b"{}",
            &ts.to_string(),
            &sig,
            window(TS),
        );
        assert!(
            matches!(result, Err(SignatureError::TooOld { .. })),
            "{result:?}"
        );
    }

    #[test]
    fn v3_timestamp_window_has_distinct_errors() {
        let ts = TS.to_string();
        let at = |now| {
            verify_v3(
                SECRET,
                "POST",
                URI,
                V2_BODY.as_bytes(),
                &ts,
                V3_SIG,
                window(now),
            )
        };
        assert_eq!(at(TS + MAX_AGE_MS), Ok(()));
        assert_eq!(
            at(TS + MAX_AGE_MS + 1),
            Err(SignatureError::TooOld {
                age_ms: MAX_AGE_MS + 1,
                max_ms: MAX_AGE_MS
            })
        );
        assert_eq!(at(TS - 30_000), Ok(()));
        assert_eq!(
            at(TS - 30_001),
            Err(SignatureError::TooNew {
                ahead_ms: 30_001,
                max_ms: 30_000
            })
        );
    }

    /// Known answers for each escape HubSpot decodes, computed independently with Python:
    /// `base64(hmac.new(SECRET, ("POST" + "https://www.example.com/webhook_uri?q=a" + CHAR + "b"
    /// + V2_BODY + "1700000000000").encode(), sha256).digest())`.
    const V3_ESCAPES: [(&str, &str); 12] = [
        ("%3A", "CUs2f1+Oc2ryAj+727S5Xm7UTCtb7OEmi8lhohrldKI="),
        ("%2F", "7QADg2vzweANQusPWaW12EIQ5+VXWdiXhnskE2W/NVc="),
        ("%3F", "J3LNkSkrnTcuHZEGRQCwcTAoXvgLZSzoDREVfdZgwEo="),
        ("%40", "mYzSkL7uuT/zn/Rn6S5ffkyLrvGJz/JnKYvKsh4H0x0="),
        ("%21", "czWSncpa4EhsCHmEAjQC/sluCpJO2ozuhrul0jIvebU="),
        ("%24", "gPpSwqYA6OQQHwn7G+opG/opc6sD0VYp342HCtdKndo="),
        ("%27", "v5rmCtKGppMXgp6kuzq3Bng8Y15iSMGIXj6NrVbVUkI="),
        ("%28", "yC93M0t87xKKdAXAOuL+9qi4BFAcf2WspxzNg/Xrs0k="),
        ("%29", "Q/bbmqzQOVDptlVJj/DO4Yi93/hHX6xa0q58IiR2eXE="),
        ("%2A", "XFYqMVg4Lm+zcPxYaneaYXCy3jaHcB2JjU1XOjALP5U="),
        ("%2C", "SG0A9xxIDcsHft8OscvZhYjFVbQZl3IFKQmINRRNS1M="),
        ("%3B", "2tIzOQU3vwraGx6trBBhsmE4NVA5Zz1WCBrTW0ND+rI="),
    ];

    #[test]
    fn v3_decodes_each_escape_of_hubspots_table_before_signing() {
        let body = V2_BODY.as_bytes();
        let ts = TS.to_string();
        for (code, expected) in V3_ESCAPES {
            for escape in [code.to_string(), code.to_lowercase()] {
                let uri = format!("https://www.example.com/webhook_uri?q=a{escape}b");
                assert_eq!(
                    sign_v3(SECRET, "POST", &uri, body, TS),
                    expected,
                    "{escape}"
                );
                let verified = verify_v3(SECRET, "POST", &uri, body, &ts, expected, window(TS));
                assert_eq!(verified, Ok(()), "{escape}");
            }
        }
    }

    #[test]
    fn v3_accepts_the_raw_uri_form_too_and_keeps_other_escapes() {
        let body = V2_BODY.as_bytes();
        let ts = TS.to_string();
        // Signed over the URI as sent (Python, as above, with "%3A" left in place).
        let raw = "AmZDYFiDAg2NNgTvkyMAD8+bnxW4YM0wu4ynJU6h3O4=";
        let uri = "https://www.example.com/webhook_uri?q=a%3Ab";
        assert_eq!(
            verify_v3(SECRET, "POST", uri, body, &ts, raw, window(TS)),
            Ok(())
        );
        // %20 is not in HubSpot's table: it stays encoded.
        let kept = "f53qaTshtnEfGi7rbjqmNhd0vwz9XROuQ49uYRdqKpw=";
        let uri = "https://www.example.com/webhook_uri?q=a%20b";
        assert_eq!(v3_uri(uri), uri);
        assert_eq!(sign_v3(SECRET, "POST", uri, body, TS), kept);
        assert_eq!(v3_uri("/a%3a%2F%25%3Ab%"), "/a:/%25:b%");
    }

    #[test]
    fn refusals_have_a_short_reason() {
        let reasons: Vec<&str> = [
            SignatureError::MissingHeader("x"),
            SignatureError::Mismatch,
            SignatureError::TooOld {
                age_ms: 1,
                max_ms: 0,
            },
            SignatureError::TooNew {
                ahead_ms: 1,
                max_ms: 0,
            },
        ]
        .iter()
        .map(SignatureError::reason)
        .collect();
        assert_eq!(reasons, ["missing_header", "mismatch", "stale", "future"]);
    }

    #[test]
    fn comparison_needs_equal_length_and_bytes() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }
}
