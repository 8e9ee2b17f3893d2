//! A lead: the normalised person behind a submission, and the rules for a valid email address.
//!
//! Normalisation happens at intake (every path sets fields through [`Lead::set`] /
//! [`Lead::set_field`], and [`Lead::normalise`] cleans a lead from elsewhere, such as the CRM):
//! single-line fields (names, company, job title, phone, email, custom fields) get line breaks and
//! tabs turned into spaces, control and bidi-override characters removed and whitespace collapsed,
//! so no value can break a header; the message keeps its line breaks and tabs as sent. The raw
//! payload is stored as received, elsewhere.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The fields every payload shape is normalised into.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Lead {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub job_title: Option<String>,
    pub phone: Option<String>,
    pub message: Option<String>,
    /// Fields we do not model, kept as they came (name as sent → value).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom: BTreeMap<String, String>,
}

/// The lead field a submitted field name maps to, for the names HubSpot forms and CSV files use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeadField {
    Email,
    FirstName,
    LastName,
    FullName,
    Company,
    JobTitle,
    Phone,
    Message,
}

impl LeadField {
    /// Recognises a field name case-insensitively, ignoring spaces, dashes and underscores.
    pub fn from_name(name: &str) -> Option<LeadField> {
        let key: String = name
            .chars()
            .filter(|c| !matches!(c, ' ' | '_' | '-'))
            .flat_map(char::to_lowercase)
            .collect();
        Some(match key.as_str() {
            "email" | "emailaddress" | "workemail" => LeadField::Email,
            "firstname" | "givenname" | "first" => LeadField::FirstName,
            "lastname" | "surname" | "familyname" | "last" => LeadField::LastName,
            "name" | "fullname" | "contactname" => LeadField::FullName,
            "company" | "companyname" | "organization" | "organisation" => LeadField::Company,
            "jobtitle" | "title" | "role" => LeadField::JobTitle,
            "phone" | "phonenumber" | "mobilephone" | "mobile" => LeadField::Phone,
            "message" | "comments" | "comment" | "notes" | "howcanwehelp" => LeadField::Message,
            _ => return None,
        })
    }
}

impl Lead {
    /// Sets a field by its submitted name; unknown names go to `custom`.
    pub fn set(&mut self, name: &str, value: &str) {
        match LeadField::from_name(name) {
            Some(field) => self.set_field(field, value),
            None => {
                if let Some(v) = single_line(value) {
                    self.custom.insert(name.to_string(), v);
                }
            }
        }
    }

    pub fn set_field(&mut self, field: LeadField, value: &str) {
        let value = match field {
            LeadField::Message => multi_line(value),
            _ => single_line(value),
        };
        match field {
            LeadField::Email => self.email = value,
            LeadField::FirstName => self.first_name = value,
            LeadField::LastName => self.last_name = value,
            LeadField::Company => self.company = value,
            LeadField::JobTitle => self.job_title = value,
            LeadField::Phone => self.phone = value,
            LeadField::Message => self.message = value,
            LeadField::FullName => {
                if let Some(full) = value {
                    self.custom.insert("full_name".into(), full);
                }
            }
        }
    }

    /// Cleans every field (as at intake), lowercases the email, and splits a full name when no
    /// first/last name came.
    pub fn normalise(mut self) -> Lead {
        for field in [
            &mut self.email,
            &mut self.first_name,
            &mut self.last_name,
            &mut self.company,
            &mut self.job_title,
            &mut self.phone,
        ] {
            *field = field.as_deref().and_then(single_line);
        }
        self.message = self.message.as_deref().and_then(multi_line);
        self.custom = std::mem::take(&mut self.custom)
            .into_iter()
            .filter_map(|(k, v)| single_line(&v).map(|v| (k, v)))
            .collect();
        self.email = self.email.map(|e| e.to_lowercase());
        if self.first_name.is_none()
            && self.last_name.is_none()
            && let Some(full) = self.custom.remove("full_name")
        {
            let (first, last) = split_full_name(&full);
            self.first_name = first;
            self.last_name = last;
        }
        self
    }

    /// Every value the lead supplied, for checks that must tell the lead's own text from ours.
    pub fn texts(&self) -> Vec<&str> {
        [
            &self.email,
            &self.first_name,
            &self.last_name,
            &self.company,
            &self.job_title,
            &self.phone,
            &self.message,
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .chain(self.custom.values().map(String::as_str))
        .collect()
    }

    pub fn email_domain(&self) -> Option<&str> {
        self.email
            .as_deref()
            .and_then(|e| e.rsplit_once('@'))
            .map(|(_, d)| d)
    }

    /// A display name for the lead: "First Last", or the email when there is no name.
    pub fn display_name(&self) -> String {
        match (&self.first_name, &self.last_name) {
            (Some(f), Some(l)) => format!("{f} {l}"),
            (Some(n), None) | (None, Some(n)) => n.clone(),
            (None, None) => self.email.clone().unwrap_or_default(),
        }
    }

    /// Checks the email, naming the problem when it is missing or malformed.
    pub fn validate(&self) -> Result<(), String> {
        match &self.email {
            None => Err("field `email` is missing".into()),
            Some(e) => check_email(e).map_err(|why| format!("field `email` ({e:?}) {why}")),
        }
    }
}

/// Bidirectional formatting characters (embeddings, overrides, isolates, marks): they can make
/// a name display differently from what it is.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A value for a one-line field: every whitespace run (line breaks and tabs included) becomes one
/// space, control and bidi characters go, the ends are trimmed; None when nothing is left.
pub fn single_line(value: &str) -> Option<String> {
    if is_single_line_ascii(value) {
        return Some(value.to_owned());
    }
    collapse_to_single_line(value)
}

/// Printable ASCII with single spaces between words: what nearly every value is, and already
/// what [`collapse_to_single_line`] would make of it.
fn is_single_line_ascii(value: &str) -> bool {
    let bytes = value.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    first != b' '
        && last != b' '
        && bytes.iter().all(|&b| b.is_ascii_graphic() || b == b' ')
        && !value.contains("  ")
}

fn collapse_to_single_line(value: &str) -> Option<String> {
    let mut out = String::with_capacity(value.len());
    let mut space = false;
    for c in value.chars() {
        if c.is_whitespace() {
            space = true;
        } else if c.is_control() || is_bidi_control(c) || c == '\u{FEFF}' {
            continue;
        } else {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    }
    (!out.is_empty()).then_some(out)
}

/// A value for the message: its line breaks and tabs kept as sent, other control and bidi
/// characters removed, the ends trimmed; None when nothing is left.
pub fn multi_line(value: &str) -> Option<String> {
    let text: String = value
        .chars()
        .filter(|&c| {
            matches!(c, '\n' | '\r' | '\t')
                || !(c.is_control() || is_bidi_control(c) || c == '\u{FEFF}')
        })
        .collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn split_full_name(full: &str) -> (Option<String>, Option<String>) {
    let full = full.split_whitespace().collect::<Vec<_>>();
    match full.split_first() {
        None => (None, None),
        Some((first, [])) => (Some(first.to_string()), None),
        Some((first, rest)) => (Some(first.to_string()), Some(rest.join(" "))),
    }
}

/// `text` with every email-like token masked for logs: `marie.curie@quartz-analytics.fr` becomes
/// `m…@quartz-analytics.fr` (the domain says enough to debug; the person stays out of the log).
pub fn mask_emails(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('@') {
        return text.into();
    }
    let is_delim = |c: char| c.is_whitespace() || "\"'`<>()[]{},;:".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        let local_start = rest[..at]
            .char_indices()
            .rev()
            .find(|(_, c)| is_delim(*c))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let local = &rest[local_start..at];
        let domain_end = rest[at + 1..]
            .char_indices()
            .find(|(_, c)| is_delim(*c))
            .map_or(rest.len(), |(i, _)| at + 1 + i);
        out.push_str(&rest[..local_start]);
        if let Some(first) = local.chars().next() {
            out.push(first);
            out.push('…');
        }
        out.push_str(&rest[at..domain_end]);
        rest = &rest[domain_end..];
    }
    out.push_str(rest);
    out.into()
}

pub fn is_valid_email(email: &str) -> bool {
    check_email(email).is_ok()
}

/// A pragmatic address check: what mail systems accept in practice, not all of RFC 5322.
pub fn check_email(email: &str) -> Result<(), &'static str> {
    if email.len() > 254 {
        return Err("is longer than 254 characters");
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Err("has no @");
    };
    if local.is_empty() {
        return Err("has nothing before the @");
    }
    if local.len() > 64 {
        return Err("has a local part longer than 64 characters");
    }
    if local.contains('@') {
        return Err("has more than one @");
    }
    if !local.is_ascii() {
        // Deliverable only with SMTPUTF8, which a Gmail draft cannot carry.
        return Err(
            "has non-ASCII characters before the @ (they need SMTPUTF8, which drafts cannot carry)",
        );
    }
    let local_ok = local
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    if !local_ok || local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err("has characters not allowed before the @");
    }
    if !domain.contains('.') {
        return Err("has a domain without a dot");
    }
    for label in domain.split('.') {
        let label_ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || !c.is_ascii());
        if !label_ok {
            return Err("has an invalid domain");
        }
    }
    if idna::domain_to_ascii(domain).is_err() {
        return Err("has a domain that is not a valid international (IDNA) name");
    }
    let tld = domain.rsplit('.').next().unwrap_or("");
    if tld.len() < 2 || tld.chars().all(|c| c.is_ascii_digit()) {
        return Err("has an invalid top-level domain");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses() {
        for ok in [
            "john@acme.com",
            "o'brien@contoso.com",
            "first.last+tag@sub.example.co.uk",
            "x@a-b.io",
            "zoe@müller-söhne.de",
        ] {
            assert!(is_valid_email(ok), "{ok}");
        }
    }

    #[test]
    fn a_non_ascii_local_part_is_refused_with_the_reason() {
        let why = check_email("zoë@müller-söhne.de").unwrap_err();
        assert!(why.contains("non-ASCII characters before the @"), "{why}");
        assert!(why.contains("SMTPUTF8"));
    }

    #[test]
    fn rejects_malformed_addresses_with_a_reason() {
        assert_eq!(check_email("not-an-email"), Err("has no @"));
        assert_eq!(
            mask_emails("field `email` (\"marie.curie@quartz-analytics.fr\") is bad"),
            "field `email` (\"m…@quartz-analytics.fr\") is bad"
        );
        assert_eq!(mask_emails("a b@c.fr and é@x.io"), "a b…@c.fr and é…@x.io");
        assert_eq!(mask_emails("no address"), "no address");
        assert_eq!(check_email("@acme.com"), Err("has nothing before the @"));
        assert_eq!(check_email("a@b@c.com"), Err("has more than one @"));
        assert_eq!(
            check_email("a@localhost"),
            Err("has a domain without a dot")
        );
        assert_eq!(
            check_email("a b@acme.com"),
            Err("has characters not allowed before the @")
        );
        assert_eq!(check_email("a@acme..com"), Err("has an invalid domain"));
        assert_eq!(
            check_email("a@1.2.3.4"),
            Err("has an invalid top-level domain")
        );
    }

    #[test]
    fn normalise_trims_lowercases_and_splits_names() {
        let mut lead = Lead::default();
        lead.set("Email", "  Dana.Whitfield@Northwind.COM ");
        lead.set("Full Name", " Mary  Ann Smith ");
        lead.set("favourite_colour", "teal");
        let lead = lead.normalise();
        assert_eq!(lead.email.as_deref(), Some("dana.whitfield@northwind.com"));
        assert_eq!(lead.first_name.as_deref(), Some("Mary"));
        assert_eq!(lead.last_name.as_deref(), Some("Ann Smith"));
        assert_eq!(
            lead.custom.get("favourite_colour").map(String::as_str),
            Some("teal")
        );
        assert_eq!(lead.email_domain(), Some("northwind.com"));
    }

    #[test]
    fn field_names_match_common_aliases() {
        for name in [
            "firstname",
            "first_name",
            "First Name",
            "firstName",
            "FIRST-NAME",
        ] {
            assert_eq!(
                LeadField::from_name(name),
                Some(LeadField::FirstName),
                "{name}"
            );
        }
        assert_eq!(LeadField::from_name("jobtitle"), Some(LeadField::JobTitle));
        assert_eq!(LeadField::from_name("hs_context"), None);
    }

    #[test]
    fn single_line_fields_lose_line_breaks_controls_and_bidi_overrides() {
        let mut lead = Lead::default();
        lead.set("firstname", "Dana\r\nBcc: x@evil.com");
        lead.set("company", " Northwind\t\u{202E}Robotics\u{7}  Ltd \u{2066}");
        lead.set("jobtitle", "\u{200F}VP\n\n Ops");
        lead.set("message", "Hello\r\n\r\nsecond\tline\u{202E}\u{7}\n  ");
        lead.set("favourite", "a\nb");
        assert_eq!(lead.first_name.as_deref(), Some("Dana Bcc: x@evil.com"));
        assert_eq!(lead.company.as_deref(), Some("Northwind Robotics Ltd"));
        assert_eq!(lead.job_title.as_deref(), Some("VP Ops"));
        assert_eq!(lead.message.as_deref(), Some("Hello\r\n\r\nsecond\tline"));
        assert_eq!(lead.custom["favourite"], "a b");
        // A lead from elsewhere (the CRM) is cleaned the same way, and cleaning twice changes nothing.
        let raw = Lead {
            email: Some(" A@B.com\n".into()),
            last_name: Some("Whit\r\nfield".into()),
            ..Lead::default()
        };
        let once = raw.normalise();
        assert_eq!(once.email.as_deref(), Some("a@b.com"));
        assert_eq!(once.last_name.as_deref(), Some("Whit field"));
        assert_eq!(once.clone().normalise(), once);
    }

    #[test]
    fn single_line_values_never_hold_a_line_break() {
        // A property over generated strings of awkward characters.
        let alphabet = [
            'a', ' ', '\r', '\n', '\t', '\u{b}', '\u{c}', '\u{85}', '\u{2028}', '\u{202e}',
            '\u{0}', 'é', '~', '\u{7f}',
        ];
        let mut seed = 0x2545_f491_u64;
        for _ in 0..2000 {
            let len = (seed % 12) as usize;
            let text: String = (0..len)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    alphabet[(seed >> 33) as usize % alphabet.len()]
                })
                .collect();
            assert_eq!(
                single_line(&text),
                collapse_to_single_line(&text),
                "{text:?}"
            );
            if let Some(v) = single_line(&text) {
                assert!(
                    !v.chars()
                        .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{202e}'),
                    "{text:?} -> {v:?}"
                );
                assert!(!v.contains("  ") && v.trim() == v, "{text:?} -> {v:?}");
            }
        }
    }

    #[test]
    fn blank_values_are_absent() {
        let mut lead = Lead::default();
        lead.set("company", "   ");
        assert_eq!(lead.company, None);
        assert_eq!(lead.validate(), Err("field `email` is missing".into()));
    }
}

#[cfg(test)]
pub(crate) mod props {
    use proptest::prelude::*;

    use super::*;
    use crate::props::{awkward_text, config};

    /// What normalisation promises: cleaning again changes nothing, the email is lowercase, and
    /// no single-line field holds a line break, a control or a bidi character.
    pub(crate) fn check_normalised(lead: &Lead) -> Result<(), TestCaseError> {
        prop_assert_eq!(
            &lead.clone().normalise(),
            lead,
            "normalising twice differs from once"
        );
        let single = [
            &lead.email,
            &lead.first_name,
            &lead.last_name,
            &lead.company,
            &lead.job_title,
            &lead.phone,
        ];
        let values = single.into_iter().flatten().chain(lead.custom.values());
        for v in values {
            let bad = v
                .chars()
                .find(|&c| c.is_control() || is_bidi_control(c) || c == '\u{feff}');
            prop_assert!(bad.is_none(), "{v:?} holds {bad:?}");
            prop_assert!(
                !v.contains(['\u{2028}', '\u{2029}']),
                "{v:?} holds a line separator"
            );
            prop_assert!(v.trim() == v && !v.is_empty(), "{v:?} is not trimmed");
        }
        if let Some(e) = &lead.email {
            prop_assert_eq!(&e.to_lowercase(), e);
        }
        if let Some(m) = &lead.message {
            let bad = m.chars().find(|&c| {
                !matches!(c, '\r' | '\n' | '\t') && (c.is_control() || is_bidi_control(c))
            });
            prop_assert!(bad.is_none(), "the message holds {bad:?}");
        }
        Ok(())
    }

    fn field() -> impl Strategy<Value = Option<String>> {
        proptest::option::weighted(0.8, awkward_text(24))
    }

    fn any_lead() -> impl Strategy<Value = Lead> {
        let names = proptest::collection::btree_map(
            prop_oneof![Just("full_name".to_string()), "[a-z_]{1,8}"],
            awkward_text(16),
            0..3,
        );
        (
            field(),
            field(),
            field(),
            field(),
            field(),
            field(),
            field(),
            names,
        )
            .prop_map(
                |(email, first_name, last_name, company, job_title, phone, message, custom)| Lead {
                    email,
                    first_name,
                    last_name,
                    company,
                    job_title,
                    phone,
                    message,
                    custom,
                },
            )
    }

    proptest! {
        #![proptest_config(config(256))]

        /// Invariant: any lead from anywhere (the CRM, a payload) is clean after `normalise`,
        /// and normalising twice is the same as once.
        #[test]
        fn normalise_is_idempotent_and_leaves_single_lines_clean(lead in any_lead()) {
            check_normalised(&lead.normalise())?;
        }

        /// Invariant: what `set` stores is already normalised (intake and `normalise` agree).
        #[test]
        fn set_stores_what_normalise_would(
            pairs in proptest::collection::vec(
                (prop_oneof![
                    Just("email".to_string()), Just("First Name".to_string()),
                    Just("lastname".to_string()), Just("company".to_string()),
                    Just("full_name".to_string()), Just("message".to_string()),
                    "[a-zA-Z _-]{1,10}",
                ], awkward_text(24)),
                0..8,
            )
        ) {
            let mut lead = Lead::default();
            for (name, value) in &pairs {
                lead.set(name, value);
            }
            check_normalised(&lead.normalise())?;
        }
    }
}
