//! Templates: `{{name}}` placeholders filled from the lead, and `{{#if name}}…{{else}}…{{/if}}`
//! (or `{{#unless name}}`) blocks chosen by whether the lead has the field. Unknown placeholders
//! stay visible so the guard refuses the draft rather than sending "Hi ,".
//!
//! The entry point for every composer is [`render`] with [`variables`]:
//! `template::render(&template.body, &template::variables(lead, sender))`. Lead data is inserted
//! as text in a single pass and never read as template syntax, so a lead who types
//! `{{unsubscribe_url}}` gets exactly that text back. [`check`] validates a template's syntax.

use std::collections::BTreeMap;

use super::lead::Lead;
use crate::config::TemplateConfig;

pub fn default_templates() -> BTreeMap<String, TemplateConfig> {
    let mut templates = BTreeMap::new();
    templates.insert(
        "default".to_string(),
        TemplateConfig {
            subject: "{{#if first_name}}Thanks for reaching out, {{first_name}}\
                      {{else}}Thanks for reaching out{{/if}}"
                .into(),
            body: "{{#if first_name}}Hi {{first_name}},{{else}}Hello,{{/if}}\n\n\
                   Thanks for getting in touch{{#if company}} on behalf of {{company}}{{/if}}. \
                   {{#if message}}I read your message and would be glad to help\
                   {{else}}I'd be glad to help{{/if}}: \
                   would a 20-minute call this week work for you?\n\n\
                   Best regards,\n{{sender_name}}\n"
                .into(),
        },
    );
    templates.insert(
        "high_intent".to_string(),
        TemplateConfig {
            subject: "{{#if company}}{{company}} and a quick next step\
                      {{else}}A quick next step{{/if}}"
                .into(),
            body: "{{#if first_name}}Hi {{first_name}},{{else}}Hello,{{/if}}\n\n\
                   Thank you for your request{{#if company}} on behalf of {{company}}{{/if}}. \
                   {{#if message}}Given what you described, the fastest route is a short call \
                   with one of our specialists\
                   {{else}}The fastest route is usually a short call with one of our \
                   specialists{{/if}}. \
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

/// One piece of a parsed template.
#[derive(Debug, PartialEq, Eq)]
enum Node<'a> {
    Text(&'a str),
    /// A placeholder: its trimmed name and its source text (kept when it has no value).
    Var {
        name: &'a str,
        source: &'a str,
    },
    /// `{{#if name}}then{{else}}otherwise{{/if}}`; `{{#unless name}}` swaps the branches.
    If {
        name: &'a str,
        then: Vec<Node<'a>>,
        otherwise: Vec<Node<'a>>,
    },
}

/// An open block while parsing: which tag opened it, its name, and its branches so far.
struct Open<'a> {
    tag: &'static str,
    name: &'a str,
    then: Vec<Node<'a>>,
    otherwise: Option<Vec<Node<'a>>>,
}

fn parse(text: &str) -> Result<Vec<Node<'_>>, String> {
    let mut stack: Vec<Open<'_>> = vec![];
    let mut top: Vec<Node<'_>> = vec![];
    fn current<'s, 'a>(
        stack: &'s mut [Open<'a>],
        top: &'s mut Vec<Node<'a>>,
    ) -> &'s mut Vec<Node<'a>> {
        match stack.last_mut() {
            Some(open) => open.otherwise.as_mut().unwrap_or(&mut open.then),
            None => top,
        }
    }
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        if start > 0 {
            current(&mut stack, &mut top).push(Node::Text(&rest[..start]));
        }
        let source = &rest[start..start + 2 + len + 2];
        let tag = source[2..source.len() - 2].trim();
        rest = &rest[start + 2 + len + 2..];
        let word = |prefix: &str| {
            tag.strip_prefix(prefix)
                .map(str::trim)
                .filter(|n| !n.is_empty())
        };
        if let Some(name) = word("#if ") {
            stack.push(Open {
                tag: "if",
                name,
                then: vec![],
                otherwise: None,
            });
        } else if let Some(name) = word("#unless ") {
            stack.push(Open {
                tag: "unless",
                name,
                then: vec![],
                otherwise: None,
            });
        } else if tag == "else" {
            match stack.last_mut() {
                Some(open) if open.otherwise.is_none() => open.otherwise = Some(vec![]),
                Some(_) => return Err("a second {{else}} in one block".into()),
                None => return Err("{{else}} outside an {{#if}} block".into()),
            }
        } else if let Some(closing) = tag.strip_prefix('/') {
            let Some(open) = stack.pop() else {
                return Err(format!("{source} closes a block that was never opened"));
            };
            if closing.trim() != open.tag {
                return Err(format!(
                    "{source} closes {{{{#{} {}}}}}",
                    open.tag, open.name
                ));
            }
            let otherwise = open.otherwise.unwrap_or_default();
            let (then, otherwise) = if open.tag == "unless" {
                (otherwise, open.then)
            } else {
                (open.then, otherwise)
            };
            current(&mut stack, &mut top).push(Node::If {
                name: open.name,
                then,
                otherwise,
            });
        } else if tag.starts_with('#') {
            return Err(format!(
                "{source} is not a block this template language knows; use {{{{#if name}}}} or {{{{#unless name}}}}"
            ));
        } else {
            current(&mut stack, &mut top).push(Node::Var { name: tag, source });
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!(
            "{{{{#{} {}}}}} is never closed with {{{{/{}}}}}",
            open.tag, open.name, open.tag
        ));
    }
    if !rest.is_empty() {
        current(&mut stack, &mut top).push(Node::Text(rest));
    }
    Ok(top)
}

/// Checks a template's syntax: blocks opened and closed in order, no stray `{{else}}`.
pub fn check(text: &str) -> Result<(), String> {
    parse(text).map(|_| ())
}

/// Renders `text` for the lead's `vars` (from [`variables`]): every `{{name}}` with a value is
/// replaced by it, inserted as plain text (never re-read as template syntax); an unknown name stays
/// as written for the guard to refuse; `{{#if name}}` keeps its first branch when `name` has a
/// non-empty value, else its `{{else}}` branch. A value that ends a sentence itself ("Contoso,
/// Ltd.") swallows the template's own full stop right after it. A template with broken block
/// syntax (see [`check`]) is rendered with its block tags left visible.
pub fn render(text: &str, vars: &BTreeMap<String, String>) -> String {
    let mut out = Output::default();
    match parse(text) {
        Ok(nodes) => out.nodes(&nodes, vars),
        Err(_) => out.flat(text, vars),
    }
    out.text
}

#[derive(Default)]
struct Output {
    text: String,
    /// The last thing written was a value ending in `.`, `!` or `?`.
    after_sentence_end: bool,
}

impl Output {
    fn literal(&mut self, text: &str) {
        let text = match text.strip_prefix('.') {
            Some(rest) if self.after_sentence_end => rest,
            _ => text,
        };
        if !text.is_empty() {
            self.text.push_str(text);
            self.after_sentence_end = false;
        }
    }

    fn value(&mut self, value: &str) {
        self.text.push_str(value);
        self.after_sentence_end = value.ends_with(['.', '!', '?']);
    }

    fn nodes(&mut self, nodes: &[Node<'_>], vars: &BTreeMap<String, String>) {
        for node in nodes {
            match node {
                Node::Text(t) => self.literal(t),
                Node::Var { name, source } => match vars.get(*name) {
                    Some(v) => self.value(v),
                    None => self.literal(source),
                },
                Node::If {
                    name,
                    then,
                    otherwise,
                } => {
                    let present = vars.get(*name).is_some_and(|v| !v.trim().is_empty());
                    self.nodes(if present { then } else { otherwise }, vars);
                }
            }
        }
    }

    /// Placeholders only, for a template whose blocks do not parse.
    fn flat(&mut self, text: &str, vars: &BTreeMap<String, String>) {
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            self.literal(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                break;
            };
            let source = &rest[start..start + 2 + end + 2];
            match vars.get(after[..end].trim()) {
                Some(v) => self.value(v),
                None => self.literal(source),
            }
            rest = &after[end + 2..];
        }
        self.literal(rest);
    }
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
    fn blocks_choose_by_presence_and_nest() {
        let mut vars = BTreeMap::new();
        vars.insert("a".to_string(), "A".to_string());
        let t = "{{#if a}}[{{a}}{{#if b}} and {{b}}{{/if}}]{{else}}none{{/if}}{{#unless b}}!{{/unless}}";
        assert_eq!(render(t, &vars), "[A]!");
        vars.insert("b".to_string(), "B".to_string());
        assert_eq!(render(t, &vars), "[A and B]");
        vars.remove("a");
        assert_eq!(render(t, &vars), "none");
    }

    #[test]
    fn broken_blocks_are_reported_and_stay_visible() {
        for bad in [
            "{{#if a}}x",
            "x{{/if}}",
            "{{else}}",
            "{{#if a}}x{{/unless}}",
            "{{#each a}}",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
        assert!(render("{{#if a}}x", &BTreeMap::new()).contains("{{#if a}}"));
        assert!(check("{{#if a}}x{{else}}y{{/if}} {{b}}").is_ok());
    }

    #[test]
    fn lead_values_are_text_never_template_syntax() {
        // A property over many hostile values: whatever the lead typed comes back verbatim.
        let hostile = [
            "{{unsubscribe_url}}",
            "{{ secret }}",
            "{{#if first_name}}x",
            "{{/if}}",
            "{{else}}",
            "}}{{",
            "{{first_name}}{{first_name}}",
            "{{",
        ];
        for value in hostile {
            for field in ["first_name", "company", "message"] {
                let mut lead = Lead {
                    email: Some("a@b.com".into()),
                    ..Lead::default()
                };
                lead.set(field, value);
                let vars = variables(&lead, "sales@example.com");
                let out = render(&format!("<{{{{{field}}}}}>"), &vars);
                assert_eq!(out, format!("<{value}>"), "{field} = {value:?}");
                for t in default_templates().values() {
                    let body = render(&t.body, &vars);
                    if field != "message" {
                        assert!(body.contains(value), "{field} = {value:?}: {body}");
                    }
                }
            }
        }
    }

    /// Every default template, for every combination of present and missing lead fields, reads
    /// as an email a person would write.
    #[test]
    fn default_templates_read_well_for_every_combination_of_fields() {
        let firsts = [None, Some("Dana")];
        let lasts = [None, Some("Whitfield")];
        let companies = [
            None,
            Some("Northwind Robotics"),
            Some("Contoso, Ltd."),
            Some("Yahoo!"),
        ];
        let titles = [None, Some("VP Operations")];
        let messages = [None, Some("We want to automate picking.")];
        let mut rendered = 0;
        for (name, template) in default_templates() {
            assert!(check(&template.subject).is_ok() && check(&template.body).is_ok());
            for first in firsts {
                for last in lasts {
                    for company in companies {
                        for title in titles {
                            for message in messages {
                                let lead = Lead {
                                    email: Some("dana@northwind.com".into()),
                                    first_name: first.map(str::to_string),
                                    last_name: last.map(str::to_string),
                                    company: company.map(str::to_string),
                                    job_title: title.map(str::to_string),
                                    message: message.map(str::to_string),
                                    ..Lead::default()
                                };
                                let vars = variables(&lead, "sales@example.com");
                                let subject = render(&template.subject, &vars);
                                let body = render(&template.body, &vars);
                                let ctx = format!("{name} {lead:?}:\n{subject}\n{body}");
                                read_well(&subject, &body, &ctx);
                                if message.is_none() {
                                    assert!(!body.contains("described"), "{ctx}");
                                    assert!(!body.contains("your message"), "{ctx}");
                                }
                                if let Some(f) = first {
                                    assert!(body.starts_with(&format!("Hi {f},")), "{ctx}");
                                } else {
                                    assert!(body.starts_with("Hello,"), "{ctx}");
                                }
                                if let Some(c) = company {
                                    assert!(body.contains(c), "{ctx}");
                                }
                                rendered += 1;
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(rendered, 2 * 2 * 2 * 4 * 2 * 2);
    }

    fn read_well(subject: &str, body: &str, ctx: &str) {
        for text in [subject, body] {
            for bad in [
                "{{", "}}", "..", " ,", " .", "  ", ", there", "there,", "!.", "?.", " :",
            ] {
                assert!(!text.contains(bad), "{bad:?} in {ctx}");
            }
        }
        assert!(
            subject.chars().next().is_some_and(char::is_uppercase),
            "{ctx}"
        );
        assert!(!subject.ends_with([' ', ',', '.']), "{ctx}");
        assert!(body.ends_with("The Example team\n"), "{ctx}");
        for sentence in body.split(". ").skip(1) {
            assert!(
                sentence.chars().next().is_some_and(char::is_uppercase),
                "a sentence starts in lower case in {ctx}"
            );
        }
    }

    #[test]
    fn personal_senders_sign_by_name() {
        assert_eq!(sender_name("anna.berg@example.com"), "Anna Berg");
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;
    use crate::props::{awkward_text, config};

    const NAMES: &[&str] = &[
        "first_name",
        "company",
        "message",
        "email",
        "custom.plan",
        "nope",
    ];

    /// Template text: literal pieces and every kind of tag, in any order (so broken blocks too).
    fn template() -> impl Strategy<Value = String> {
        let name = || proptest::sample::select(NAMES);
        let piece = prop_oneof![
            3 => awkward_text(8),
            2 => name().prop_map(|n| format!("{{{{{n}}}}}")),
            1 => name().prop_map(|n| format!("{{{{#if {n}}}}}")),
            1 => name().prop_map(|n| format!("{{{{ #unless {n} }}}}")),
            1 => Just("{{else}}".to_string()),
            1 => Just("{{/if}}".to_string()),
            1 => Just("{{/unless}}".to_string()),
            1 => Just(".".to_string()),
        ];
        proptest::collection::vec(piece, 0..12)
            .prop_map(|p| p.concat())
            .prop_filter("no marker characters", |t| {
                !t.contains(['\u{e000}', '\u{e001}'])
            })
    }

    /// Values a lead could type: template syntax, sentence ends, anything.
    fn value() -> impl Strategy<Value = String> {
        awkward_text(12).prop_filter("marker-free", |v| !v.contains(['\u{e000}', '\u{e001}']))
    }

    /// The vars with every non-blank value replaced by an inert marker that ends the same way
    /// (a value ending a sentence swallows the template's next full stop), and the way back.
    fn markers(
        vars: &BTreeMap<String, String>,
    ) -> (BTreeMap<String, String>, Vec<(String, String)>) {
        let mut marked = BTreeMap::new();
        let mut back = Vec::new();
        for (i, (k, v)) in vars.iter().enumerate() {
            if v.trim().is_empty() {
                marked.insert(k.clone(), v.clone());
                continue;
            }
            let end = v.chars().last().filter(|c| matches!(c, '.' | '!' | '?'));
            let marker = format!(
                "\u{e000}{i}\u{e001}{}",
                end.map(String::from).unwrap_or_default()
            );
            marked.insert(k.clone(), marker.clone());
            back.push((marker, v.clone()));
        }
        (marked, back)
    }

    /// Rendering with the real values equals rendering with inert markers and then putting the
    /// values where the markers are: values are inserted as text and never read as syntax.
    fn check_values_stay_text(
        text: &str,
        vars: &BTreeMap<String, String>,
    ) -> Result<(), TestCaseError> {
        let (marked, back) = markers(vars);
        let mut expected = render(text, &marked);
        for (marker, v) in &back {
            expected = expected.replace(marker.as_str(), v);
        }
        prop_assert_eq!(render(text, vars), expected);
        Ok(())
    }

    proptest! {
        #![proptest_config(config(256))]

        /// Invariant: any template text renders (broken blocks stay visible), never a panic.
        #[test]
        fn any_template_text_renders(
            text in prop_oneof![template(), awkward_text(40)],
            vars in proptest::collection::btree_map(proptest::sample::select(NAMES).prop_map(str::to_string), value(), 0..4),
        ) {
            let out = render(&text, &vars);
            if check(&text).is_err() {
                prop_assert!(!text.contains("{{#") || out.contains("{{"), "broken blocks stay visible: {out:?}");
            }
        }

        /// Invariant: lead values never become template syntax, in any template.
        #[test]
        fn values_never_become_syntax(
            text in template(),
            vars in proptest::collection::btree_map(proptest::sample::select(NAMES).prop_map(str::to_string), value(), 0..5),
        ) {
            check_values_stay_text(&text, &vars)?;
        }

        /// Invariant: the same through `variables` (derived values included) and the default
        /// templates: a first name or company of `{{company}}` or `{{#if x}}` is printed as typed.
        #[test]
        fn lead_fields_in_the_default_templates_stay_text(
            first_name in proptest::option::of(value()),
            company in proptest::option::of(value()),
            message in proptest::option::of(value()),
        ) {
            let lead = Lead { email: Some("a@b.co".into()), first_name, company, message, ..Lead::default() }.normalise();
            let vars = variables(&lead, "anna.berg@example.com");
            for template in default_templates().values() {
                check_values_stay_text(&template.subject, &vars)?;
                check_values_stay_text(&template.body, &vars)?;
                if let Some(name) = &lead.first_name {
                    prop_assert!(render(&template.body, &vars).contains(name.as_str()));
                }
            }
        }
    }
}
