//! Lead scoring: a base plus the points of each configured rule that matches, with the reasons.

use serde::{Deserialize, Serialize};

use super::lead::Lead;
use crate::config::{ScoreRule, ScoringConfig};

/// Free-mail providers: a lead from one of these is usually not a company buyer.
pub const DEFAULT_FREE_MAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "yahoo.co.uk",
    "hotmail.com",
    "outlook.com",
    "live.com",
    "msn.com",
    "aol.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "mail.com",
    "yandex.ru",
    "mail.ru",
    "qq.com",
    "163.com",
    "zoho.com",
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    pub value: i64,
    pub reasons: Vec<String>,
}

impl Score {
    /// HubSpot task priority for this score.
    pub fn priority(&self) -> &'static str {
        match self.value {
            v if v >= 75 => "HIGH",
            v if v >= 40 => "MEDIUM",
            _ => "LOW",
        }
    }
}

pub fn is_free_mail(config: &ScoringConfig, domain: &str) -> bool {
    config
        .free_mail_domains
        .iter()
        .any(|d| d.eq_ignore_ascii_case(domain))
}

/// Checks that a rule can be evaluated; the message says what to change.
pub fn check_rule(rule: &ScoreRule) -> Result<(), String> {
    const FIELDS: &[&str] = &[
        "email",
        "email_domain",
        "first_name",
        "last_name",
        "company",
        "job_title",
        "phone",
        "message",
        "form_id",
    ];
    if !FIELDS.contains(&rule.field.as_str()) {
        return Err(format!(
            "unknown field {:?}; use one of: {}",
            rule.field,
            FIELDS.join(", ")
        ));
    }
    match rule.test.as_str() {
        "present" | "free_mail" => Ok(()),
        "contains_any" | "equals_any" if rule.values.is_empty() => {
            Err(format!("test {:?} needs `values`", rule.test))
        }
        "contains_any" | "equals_any" => Ok(()),
        other => Err(format!(
            "unknown test {other:?}; use present, free_mail, contains_any or equals_any"
        )),
    }
}

pub fn score(config: &ScoringConfig, lead: &Lead, form_id: Option<&str>) -> Score {
    let mut value = config.base;
    let mut reasons = Vec::new();
    for rule in &config.rules {
        let field = match rule.field.as_str() {
            "email" => lead.email.as_deref(),
            "email_domain" => lead.email_domain(),
            "first_name" => lead.first_name.as_deref(),
            "last_name" => lead.last_name.as_deref(),
            "company" => lead.company.as_deref(),
            "job_title" => lead.job_title.as_deref(),
            "phone" => lead.phone.as_deref(),
            "message" => lead.message.as_deref(),
            "form_id" => form_id,
            _ => None,
        };
        let matched = match (rule.test.as_str(), field) {
            (_, None) => false,
            ("present", Some(_)) => true,
            ("free_mail", Some(v)) => is_free_mail(config, v),
            ("contains_any", Some(v)) => {
                let words = words(v);
                rule.values.iter().any(|needle| {
                    let needle = needle.to_lowercase();
                    if needle.contains(' ') {
                        v.to_lowercase().contains(&needle)
                    } else {
                        words.contains(&needle)
                    }
                })
            }
            ("equals_any", Some(v)) => rule.values.iter().any(|x| x.eq_ignore_ascii_case(v)),
            _ => false,
        };
        if matched {
            value += rule.points;
            let sign = if rule.points >= 0 { "+" } else { "" };
            reasons.push(format!("{} ({sign}{})", rule.reason, rule.points));
        }
    }
    Score {
        value: value.clamp(0, 100),
        reasons,
    }
}

/// Lowercase words, so "Head of Growth" matches "head" but "Headquarters Clerk" does not.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead(email: &str, title: Option<&str>) -> Lead {
        Lead {
            email: Some(email.into()),
            job_title: title.map(Into::into),
            ..Lead::default()
        }
    }

    #[test]
    fn senior_titles_score_high_and_free_mail_low() {
        let config = ScoringConfig::default();
        let vp = score(
            &config,
            &lead("dana@northwind.com", Some("VP Operations")),
            None,
        );
        let free = score(&config, &lead("dana@gmail.com", None), None);
        assert_eq!(vp.value, 80);
        assert!(vp.reasons[0].starts_with("senior job title"));
        assert_eq!(free.value, 20);
        assert_eq!(free.priority(), "LOW");
        assert_eq!(vp.priority(), "HIGH");
    }

    #[test]
    fn keywords_match_whole_words() {
        let config = ScoringConfig::default();
        let clerk = score(&config, &lead("a@b.com", Some("Headquarters clerk")), None);
        assert_eq!(clerk.value, 50);
        let head = score(&config, &lead("a@b.com", Some("Head of Growth")), None);
        assert_eq!(head.value, 80);
    }

    #[test]
    fn scores_are_clamped() {
        let config = ScoringConfig {
            base: 95,
            ..Default::default()
        };
        assert_eq!(
            score(&config, &lead("a@b.com", Some("CEO")), None).value,
            100
        );
    }

    #[test]
    fn rules_are_checked() {
        let mut rule = ScoringConfig::default().rules[1].clone();
        assert!(check_rule(&rule).is_ok());
        rule.values.clear();
        assert!(check_rule(&rule).unwrap_err().contains("needs `values`"));
        rule.field = "shoe_size".into();
        assert!(check_rule(&rule).unwrap_err().contains("unknown field"));
    }
}
