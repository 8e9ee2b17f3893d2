//! API keys as text: the format `sa_live_<id>_<secret><crc>` (`sa_test_` outside production), the
//! offline checksum that lets a scanner recognise a leaked key, the hash the store keeps, and the
//! scopes a key can hold. Pure: randomness comes in as bytes from the caller.
//!
//! Like GitHub's tokens: a type prefix, a public id, a high-entropy secret and the CRC32 of
//! everything before it in base62 (6 characters). Only the SHA-256 of the secret is stored; the
//! id finds the row, a constant-time comparison of the hashes decides.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Characters of the public id (base62, about 71 bits).
pub const ID_CHARS: usize = 12;
/// Characters of the secret (base62, about 190 bits).
pub const SECRET_CHARS: usize = 32;
/// Characters of the checksum (CRC32 in base62, zero-padded).
pub const CRC_CHARS: usize = 6;
/// Random bytes the caller supplies for one key: enough for rejection sampling of both parts.
pub const RANDOM_BYTES: usize = 128;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Which deployment a key belongs to; part of the key's text so a test key never works in
/// production (and a leaked one is recognisable as such).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyEnvironment {
    Live,
    Test,
}

impl KeyEnvironment {
    /// `live` for `environment = "production"`, `test` for anything else.
    pub fn of(environment: &str) -> KeyEnvironment {
        if environment == "production" {
            KeyEnvironment::Live
        } else {
            KeyEnvironment::Test
        }
    }

    pub fn prefix(self) -> &'static str {
        match self {
            KeyEnvironment::Live => "sa_live_",
            KeyEnvironment::Test => "sa_test_",
        }
    }
}

/// Everything a key may be allowed to do. Switching the mode is not among them: it stays an
/// operator's act at a terminal.
pub const SCOPES: [&str; 8] = [
    "submissions:write",
    "workflows:read",
    "workflows:write",
    "drafts:read",
    "drafts:review",
    "dlq:read",
    "dlq:write",
    "usage:read",
];

/// Checks a scope name; the error lists the known ones.
pub fn parse_scope(name: &str) -> Result<&'static str, String> {
    SCOPES
        .iter()
        .copied()
        .find(|s| *s == name)
        .ok_or_else(|| format!("unknown scope {name:?}; use one of: {}", SCOPES.join(", ")))
}

/// A freshly made key: the full text (shown once) and what the store keeps.
#[derive(Clone, PartialEq, Eq)]
pub struct NewKey {
    pub id: String,
    /// The whole key; never stored, never logged.
    pub text: String,
    pub secret_hash: String,
    pub display_prefix: String,
}

impl std::fmt::Debug for NewKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewKey")
            .field("id", &self.id)
            .field("display_prefix", &self.display_prefix)
            .finish_non_exhaustive()
    }
}

/// Makes a key from `random` (at least [`RANDOM_BYTES`] bytes from the OS's CSPRNG). None only if
/// the bytes ran out before both parts were drawn (they never do with real randomness).
pub fn generate(env: KeyEnvironment, random: &[u8]) -> Option<NewKey> {
    let mut chars = random
        .iter()
        .filter(|b| **b < 248) // 248 = 4 × 62: no bias
        .map(|b| ALPHABET[usize::from(*b % 62)] as char);
    let id: String = chars.by_ref().take(ID_CHARS).collect();
    let secret: String = chars.by_ref().take(SECRET_CHARS).collect();
    if id.len() < ID_CHARS || secret.len() < SECRET_CHARS {
        return None;
    }
    let body = format!("{}{id}_{secret}", env.prefix());
    let text = format!("{body}{}", checksum(&body));
    Some(NewKey {
        display_prefix: display_prefix(env, &id),
        secret_hash: hash_secret(&secret),
        id,
        text,
    })
}

/// What lists show for a key: the prefix and the id (the secret never).
pub fn display_prefix(env: KeyEnvironment, id: &str) -> String {
    format!("{}{id}_", env.prefix())
}

/// A key read from a request, its checksum verified.
#[derive(Clone, PartialEq, Eq)]
pub struct PresentedKey {
    pub env: KeyEnvironment,
    pub id: String,
    secret: String,
}

impl std::fmt::Debug for PresentedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PresentedKey")
            .field("env", &self.env)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl PresentedKey {
    /// Whether the secret hashes to `stored_hash` (hex SHA-256), compared in constant time.
    pub fn matches(&self, stored_hash: &str) -> bool {
        let ours = hash_secret(&self.secret);
        ours.as_bytes().ct_eq(stored_hash.as_bytes()).into()
    }
}

/// Why a text is not a key of ours. None of these says anything about the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyFormatError {
    #[error("not a salesagent API key (it must start with sa_live_ or sa_test_)")]
    Prefix,
    #[error("malformed API key")]
    Shape,
    #[error("the API key's checksum does not match (a typo, or a truncated key)")]
    Checksum,
}

/// Parses and checks a key's text offline (prefix, shape, checksum).
pub fn parse(text: &str) -> Result<PresentedKey, KeyFormatError> {
    let (env, rest) = [KeyEnvironment::Live, KeyEnvironment::Test]
        .into_iter()
        .find_map(|env| text.strip_prefix(env.prefix()).map(|rest| (env, rest)))
        .ok_or(KeyFormatError::Prefix)?;
    let base62 = |s: &str| s.bytes().all(|b| b.is_ascii_alphanumeric());
    if rest.len() != ID_CHARS + 1 + SECRET_CHARS + CRC_CHARS || !rest.is_ascii() {
        return Err(KeyFormatError::Shape);
    }
    let (id, tail) = rest.split_at(ID_CHARS);
    let Some(tail) = tail.strip_prefix('_') else {
        return Err(KeyFormatError::Shape);
    };
    let (secret, crc) = tail.split_at(SECRET_CHARS);
    if !base62(id) || !base62(secret) || !base62(crc) {
        return Err(KeyFormatError::Shape);
    }
    let body = &text[..text.len() - CRC_CHARS];
    if checksum(body) != crc {
        return Err(KeyFormatError::Checksum);
    }
    Ok(PresentedKey {
        env,
        id: id.to_string(),
        secret: secret.to_string(),
    })
}

/// Hex SHA-256 of a key's secret part: all the store ever holds of it.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// CRC32 of `body` in base62, zero-padded to [`CRC_CHARS`].
fn checksum(body: &str) -> String {
    let mut n = crc32(body.as_bytes());
    let mut out = [b'0'; CRC_CHARS];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// CRC-32 (IEEE 802.3, the zlib one), bit by bit: keys are 59 bytes, so a table or a crate would
/// buy nothing measurable.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random(seed: u8) -> Vec<u8> {
        (0..RANDOM_BYTES)
            .map(|i| (i as u8).wrapping_mul(37).wrapping_add(seed))
            .collect()
    }

    #[test]
    fn crc32_known_answer() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn a_generated_key_parses_and_matches_its_hash() {
        let key = generate(KeyEnvironment::Live, &random(1)).unwrap();
        assert!(key.text.starts_with("sa_live_"));
        assert_eq!(key.text.len(), 8 + ID_CHARS + 1 + SECRET_CHARS + CRC_CHARS);
        let parsed = parse(&key.text).unwrap();
        assert_eq!(parsed.env, KeyEnvironment::Live);
        assert_eq!(parsed.id, key.id);
        assert!(parsed.matches(&key.secret_hash));
        assert!(!parsed.matches(&hash_secret("something else")));
        assert!(
            key.display_prefix.starts_with("sa_live_") && !key.text.ends_with(&key.display_prefix)
        );
        assert!(!format!("{key:?}").contains(&key.text[21..]));
    }

    #[test]
    fn test_keys_outside_production() {
        assert_eq!(KeyEnvironment::of("production"), KeyEnvironment::Live);
        assert_eq!(KeyEnvironment::of("staging"), KeyEnvironment::Test);
        let key = generate(KeyEnvironment::Test, &random(2)).unwrap();
        assert_eq!(parse(&key.text).unwrap().env, KeyEnvironment::Test);
    }

    #[test]
    fn a_changed_character_fails_the_checksum() {
        let key = generate(KeyEnvironment::Live, &random(3)).unwrap();
        let mut bytes = key.text.clone().into_bytes();
        let i = 8 + ID_CHARS + 5;
        bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
        let typo = String::from_utf8(bytes).unwrap();
        assert_eq!(parse(&typo), Err(KeyFormatError::Checksum));
        assert_eq!(parse("Bearer x"), Err(KeyFormatError::Prefix));
        assert_eq!(parse("sa_live_short"), Err(KeyFormatError::Shape));
        assert_eq!(
            parse(&key.text[..key.text.len() - 1]),
            Err(KeyFormatError::Shape)
        );
    }

    #[test]
    fn scopes_are_checked() {
        assert_eq!(parse_scope("drafts:read"), Ok("drafts:read"));
        assert!(
            parse_scope("mode:write")
                .unwrap_err()
                .contains("drafts:review")
        );
    }

    #[test]
    fn too_little_randomness_makes_no_key() {
        assert!(generate(KeyEnvironment::Live, &[255; 64]).is_none());
    }
}
