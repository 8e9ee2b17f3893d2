//! Routing: which sender mailbox, template and owner a scored lead goes to.

use serde::{Deserialize, Serialize};

use super::lead::Lead;
use super::scoring::Score;
use crate::config::RoutingConfig;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub sender: String,
    pub template: String,
    pub owner_id: Option<String>,
    /// Why this route: the rule's name, or "default".
    pub reason: String,
}

pub fn route(config: &RoutingConfig, lead: &Lead, form_id: Option<&str>, score: i64) -> Route {
    let domain = lead.email_domain().unwrap_or_default();
    let matching = config.rules.iter().find(|rule| {
        rule.min_score.is_none_or(|min| score >= min)
            && (rule.form_ids.is_empty()
                || form_id.is_some_and(|f| rule.form_ids.iter().any(|x| x == f)))
            && (rule.email_domains.is_empty()
                || rule
                    .email_domains
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case(domain)))
    });
    match matching {
        Some(rule) => Route {
            sender: rule
                .sender
                .clone()
                .unwrap_or_else(|| config.default_sender.clone()),
            template: rule
                .template
                .clone()
                .unwrap_or_else(|| config.default_template.clone()),
            owner_id: rule
                .owner_id
                .clone()
                .or_else(|| config.default_owner_id.clone()),
            reason: format!("rule {:?}", rule.name),
        },
        None => Route {
            sender: config.default_sender.clone(),
            template: config.default_template.clone(),
            owner_id: config.default_owner_id.clone(),
            reason: "default".into(),
        },
    }
}

/// Why a draft was routed and scored as it was, as one readable line for the draft and the CRM
/// task: `default route (no rule matched); score 45: job title, company email` or
/// `rule "enterprise"; score 20 (no scoring rule matched)`.
pub fn describe(route: &Route, score: Option<&Score>) -> String {
    let route = if route.reason == "default" {
        "default route (no rule matched)".to_string()
    } else {
        route.reason.clone()
    };
    match score {
        None => route,
        Some(s) if s.reasons.is_empty() => {
            format!("{route}; score {} (no scoring rule matched)", s.value)
        }
        Some(s) => format!("{route}; score {}: {}", s.value, s.reasons.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RouteRule;

    #[test]
    fn high_scores_take_the_high_intent_template() {
        let config = RoutingConfig::default();
        let lead = Lead {
            email: Some("a@b.com".into()),
            ..Lead::default()
        };
        assert_eq!(route(&config, &lead, None, 85).template, "high_intent");
        let low = route(&config, &lead, None, 40);
        assert_eq!(low.template, "default");
        assert_eq!(low.reason, "default");
    }

    #[test]
    fn the_description_never_ends_on_a_dangling_word() {
        let default = route(&RoutingConfig::default(), &Lead::default(), None, 10);
        let none = Score {
            value: 10,
            reasons: vec![],
        };
        let some = Score {
            value: 45,
            reasons: vec!["job title +20".into()],
        };
        assert_eq!(
            describe(&default, Some(&none)),
            "default route (no rule matched); score 10 (no scoring rule matched)"
        );
        assert_eq!(
            describe(&default, Some(&some)),
            "default route (no rule matched); score 45: job title +20"
        );
        assert_eq!(describe(&default, None), "default route (no rule matched)");
    }

    #[test]
    fn first_matching_rule_wins() {
        let mut config = RoutingConfig::default();
        config.rules.insert(
            0,
            RouteRule {
                name: "enterprise-form".into(),
                min_score: None,
                form_ids: vec!["ent".into()],
                email_domains: vec![],
                sender: Some("ae@example.com".into()),
                template: None,
                owner_id: Some("42".into()),
            },
        );
        let lead = Lead::default();
        let r = route(&config, &lead, Some("ent"), 95);
        assert_eq!(r.sender, "ae@example.com");
        assert_eq!(r.owner_id.as_deref(), Some("42"));
        assert_eq!(r.template, "default");
        assert_eq!(
            route(&config, &lead, Some("other"), 95).template,
            "high_intent"
        );
    }
}
