//! Shared pieces of the property tests (test builds only): one bounded proptest configuration
//! that writes no persistence files, and generators of the awkward text untrusted input carries.

use proptest::prelude::*;
use proptest::test_runner::Config;

/// `cases` generated inputs per property (`PROPTEST_CASES=N` runs N instead, for a deeper
/// search by hand), no `proptest-regressions/` files (a failure found once is kept as a plain
/// regression unit test instead), and bounded shrinking.
pub fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2048,
        ..Config::default()
    }
}

/// Characters that break naive handling of text: line breaks of every kind, controls, bidi
/// overrides and isolates, BOM, zero-width and combining marks, quotes, template and header syntax.
const AWKWARD: &[char] = &[
    '\r', '\n', '\t', '\u{0}', '\u{7}', '\u{b}', '\u{c}', '\u{1b}', '\u{7f}', '\u{85}', '\u{a0}',
    '\u{2028}', '\u{2029}', '\u{200b}', '\u{200e}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{feff}',
    '\u{301}', ' ', '"', '\\', '<', '>', '@', ':', ';', ',', '.', '=', '?', '{', '}', '#', '/',
    'é', 'ß', 'İ', '😀', '👩', '\u{200d}', '中',
];

/// One character, awkward half of the time.
pub fn awkward_char() -> impl Strategy<Value = char> {
    prop_oneof![
        any::<char>(),
        proptest::sample::select(AWKWARD),
        proptest::char::range('a', 'z')
    ]
}

/// Text of up to `max` characters mixing letters, awkward characters and fragments of syntax.
pub fn awkward_text(max: usize) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => awkward_char().prop_map(String::from),
        1 => proptest::sample::select(&[
            "{{", "}}", "{{first_name}}", "{{#if company}}", "{{else}}", "{{/if}}", "\r\n",
            "Bcc: x@evil.test", "=?UTF-8?B?", "?=", "--", "\r\n\r\n", "Subject: x",
        ][..])
        .prop_map(str::to_string),
    ];
    proptest::collection::vec(piece, 0..=max).prop_map(|pieces| pieces.concat())
}
