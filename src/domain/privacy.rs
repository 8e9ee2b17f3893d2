//! Pure privacy helpers: the pseudonymous subject reference of an address (a keyed hash, so the
//! audit log and the suppression list can name a person without holding the address) and the
//! case-insensitive search and blanking of an address inside stored text or bytes.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The prefix of every subject reference (and of every erased address on the suppression list).
pub const SUBJECT_REF_PREFIX: &str = "hmac-sha256:";

/// What an erased address is replaced with inside text that is kept (another lead's message,
/// a report's findings).
pub const ERASED: &str = "[erased]";

/// The address as it is compared everywhere: trimmed and lowercased (as lead normalisation does).
pub fn normalise_address(email: &str) -> String {
    email.trim().to_lowercase()
}

/// `hmac-sha256:<hex>` of the normalised address under the tenant's key. The same address gives
/// the same reference within a tenant, and unrelated references in two tenants.
pub fn subject_ref(key: &[u8], email: &str) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(normalise_address(email).as_bytes());
    format!(
        "{SUBJECT_REF_PREFIX}{}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// True when `value` is a subject reference (not an address or a domain).
pub fn is_subject_ref(value: &str) -> bool {
    value.starts_with(SUBJECT_REF_PREFIX)
}

/// Whether `haystack` holds `needle` (already normalised), ASCII-case-insensitively.
pub fn contains_ci(haystack: &[u8], needle: &[u8]) -> bool {
    find_ci(haystack, needle, 0).is_some()
}

/// The first whole occurrence of the address at or after `from`: `jane@x.com` is not found
/// inside `mary.jane@x.com` or `jane@x.com.au` (another person's address).
fn find_ci(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    let local = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b);
    let label = |b: u8| b.is_ascii_alphanumeric() || b == b'-';
    (from..=haystack.len() - needle.len()).find(|&i| {
        let end = i + needle.len();
        haystack[i..end].eq_ignore_ascii_case(needle)
            && (i == 0 || !local(haystack[i - 1]))
            && match haystack.get(end) {
                Some(&b) if label(b) => false,
                Some(b'.') => !haystack.get(end + 1).is_some_and(|&b| label(b)),
                _ => true,
            }
    })
}

/// `haystack` with every occurrence of `needle` (any ASCII case) replaced by [`ERASED`], and how
/// many there were.
pub fn blank_ci(haystack: &[u8], needle: &[u8]) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(haystack.len());
    let mut at = 0;
    let mut n = 0;
    while let Some(i) = find_ci(haystack, needle, at) {
        out.extend_from_slice(&haystack[at..i]);
        out.extend_from_slice(ERASED.as_bytes());
        at = i + needle.len();
        n += 1;
    }
    out.extend_from_slice(&haystack[at..]);
    (out, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_keyed_normalised_and_never_the_address() {
        let a = subject_ref(b"key-a", " Jane@Example.com ");
        assert_eq!(a, subject_ref(b"key-a", "jane@example.com"));
        assert_ne!(a, subject_ref(b"key-b", "jane@example.com"));
        assert!(is_subject_ref(&a));
        assert!(!a.contains("jane"));
        assert_eq!(a.len(), SUBJECT_REF_PREFIX.len() + 64);
    }

    #[test]
    fn blanking_is_case_insensitive_and_counts() {
        let (out, n) = blank_ci(
            b"to JANE@example.COM, cc jane@example.com.",
            b"jane@example.com",
        );
        assert_eq!(n, 2);
        assert_eq!(out, b"to [erased], cc [erased].");
        assert!(contains_ci(b"<Jane@Example.com>", b"jane@example.com"));
        assert!(!contains_ci(b"jane@example.co", b"jane@example.com"));
        assert_eq!(blank_ci(b"", b"a@b.c"), (vec![], 0));
        // Another person's address that merely contains this one is left alone.
        let other = b"mary.jane@example.com, jane@example.com.au, jane@example.community";
        assert!(!contains_ci(other, b"jane@example.com"));
        assert_eq!(
            blank_ci(
                b"\"jane@example.com\"<jane@example.com>",
                b"jane@example.com"
            )
            .0,
            b"\"[erased]\"<[erased]>"
        );
    }
}
