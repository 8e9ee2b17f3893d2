//! Templates: `{{name}}` placeholders filled from the lead; unknown or empty ones stay visible so
//! the guard refuses the draft rather than sending "Hi ,".

use std::collections::BTreeMap;

use super::lead::Lead;
use crate::config::TemplateConfig;

pub fn default_templates() -> BTreeMap<String, TemplateConfig> {
    let mut templates = BTreeMap::new();
    templates.insert(
        "default".to_string(),
        TemplateConfig {
            subject: "Thanks for reaching out, {{first_name_or_there}}".into(),
            body: "Hi {{first_name_or_there}},\n\n\
                   Thanks for getting in touch{{company_clause}}. I'd be glad to help: \
                   would a 20-minute call this week work for you?\n\n\
                   Best regards,\n{{sender_name}}\n"
                .into(),
        },
    );
    templates.insert(
        "high_intent".to_string(),
        TemplateConfig {
            subject: "{{company_or_you}} and a quick next step".into(),
            body: "Hi {{first_name_or_there}},\n\n\
                   Thank you for your request{{company_clause}}. Given what you described, the \
                   fastest route is a short call with one of our specialists. \
                   Could you share two times that suit you this week?\n\n\
                   Best regards,\n{{sender_name}}\n"
                .into(),
        },
    );
    templates
}

/// The values placeholders can name, including a few derived ones with graceful fallbacks.
pub fn variables(lead: &Lead, sender: &str) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    let mut put = |k: &str, v: Option<&str>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            vars.insert(k.to_string(), v.to_string());
        }
    };
    put("email", lead.email.as_deref());
    put("first_name", lead.first_name.as_deref());
    put("last_name", lead.last_name.as_deref());
    put("company", lead.company.as_deref());
    put("job_title", lead.job_title.as_deref());
    put("phone", lead.phone.as_deref());
    put("message", lead.message.as_deref());
    put("sender", Some(sender));
    for (k, v) in &lead.custom {
        put(&format!("custom.{k}"), Some(v));
    }
    let first = lead.first_name.clone().unwrap_or_else(|| "there".into());
    vars.insert("first_name_or_there".into(), first);
    vars.insert(
        "company_or_you".into(),
        lead.company.clone().unwrap_or_else(|| "You".into()),
    );
    vars.insert(
        "company_clause".into(),
        lead.company
            .as_ref()
            .map(|c| format!(" on behalf of {c}"))
            .unwrap_or_default(),
    );
    vars.insert("sender_name".into(), sender_name(sender));
    vars
}

/// "anna.berg@example.com" → "Anna Berg"; a generic mailbox becomes "The <domain> team".
fn sender_name(sender: &str) -> String {
    let (local, domain) = sender.split_once('@').unwrap_or((sender, ""));
    let generic = [
        "sales", "hello", "info", "contact", "team", "support", "noreply",
    ];
    if generic.contains(&local.to_lowercase().as_str()) {
        let org = domain.split('.').next().unwrap_or(domain);
        return format!("The {} team", capitalise(org));
    }
    local
        .split(['.', '_', '-'])
        .filter(|p| !p.is_empty())
        .map(capitalise)
        .collect::<Vec<_>>()
        .join(" ")
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Replaces every `{{name}}` it knows; an unknown name is left as it is for the guard to refuse.
pub fn render(text: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim();
                match vars.get(name) {
                    Some(v) => out.push_str(v),
                    None => out.push_str(&rest[start..start + 2 + end + 2]),
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_known_placeholders_and_keeps_unknown_ones() {
        let lead = Lead {
            email: Some("a@b.com".into()),
            first_name: Some("Dana".into()),
            ..Lead::default()
        };
        let vars = variables(&lead, "sales@example.com");
        assert_eq!(
            render("Hi {{ first_name }}, {{nope}}", &vars),
            "Hi Dana, {{nope}}"
        );
        assert_eq!(
            render("{{company_or_you}} {{unclosed", &vars),
            "You {{unclosed"
        );
        assert_eq!(vars["sender_name"], "The Example team");
    }

    #[test]
    fn personal_senders_sign_by_name() {
        assert_eq!(sender_name("anna.berg@example.com"), "Anna Berg");
    }
}
