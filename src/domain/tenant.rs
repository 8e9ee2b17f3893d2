//! Tenants: `TenantId`, the slug that names one group of HubSpot portals, and its spelling rules.
//!
//! Every row of tenant data carries one; a deployment with no `[tenants]` in its config is the one
//! tenant `default`, so single-tenant users never name it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A tenant's slug: 1–63 of `a-z`, `0-9` and `-`, starting with a letter or digit (it is a URL
/// path segment and a directory name under `mail/`, so nothing else is allowed).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

/// The tenant of a deployment that declares none.
pub const DEFAULT_TENANT: &str = "default";

impl TenantId {
    /// Checks the spelling; the error says what is wrong and what is allowed.
    pub fn parse(slug: &str) -> Result<TenantId, String> {
        let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
        if slug.is_empty() || slug.len() > 63 {
            return Err(format!("tenant {slug:?} must be 1 to 63 characters long"));
        }
        if !slug.chars().all(ok_char) || slug.starts_with('-') {
            return Err(format!(
                "tenant {slug:?} is not a valid slug: use lowercase letters, digits and '-', \
                 starting with a letter or digit (e.g. \"acme\" or \"acme-eu\")"
            ));
        }
        Ok(TenantId(slug.to_string()))
    }

    /// The tenant `default`.
    pub fn default_tenant() -> TenantId {
        TenantId(DEFAULT_TENANT.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_default(&self) -> bool {
        self.0 == DEFAULT_TENANT
    }
}

impl Default for TenantId {
    fn default() -> Self {
        TenantId::default_tenant()
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tenant is its slug wherever a `&str` is wanted (SQL parameters, paths, labels).
impl std::ops::Deref for TenantId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for TenantId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TenantId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        TenantId::parse(&s)
    }
}

impl From<TenantId> for String {
    fn from(t: TenantId) -> String {
        t.0
    }
}

impl std::str::FromStr for TenantId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        TenantId::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_checked() {
        for ok in ["default", "acme", "acme-eu", "a", "9lives"] {
            assert_eq!(TenantId::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "",
            "Acme",
            "-acme",
            "acme_eu",
            "acme/eu",
            "a b",
            "é",
            &"a".repeat(64),
        ] {
            assert!(TenantId::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn deserialising_checks_the_slug() {
        let t: TenantId = serde_json::from_str("\"acme\"").unwrap();
        assert_eq!(t.as_str(), "acme");
        assert!(serde_json::from_str::<TenantId>("\"../etc\"").is_err());
    }
}
