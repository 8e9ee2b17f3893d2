//! The template composer: deterministic subject and body from the route's template.

use crate::connectors::{ComposeRequest, ComposedEmail, Composer};
use crate::domain::template;
use crate::error::Result;

pub struct TemplateComposer;

impl TemplateComposer {
    /// Renders the request's template; also the LLM composer's fallback.
    pub fn render(request: &ComposeRequest<'_>) -> ComposedEmail {
        let vars = template::variables(request.lead, request.sender);
        ComposedEmail {
            subject: template::render(&request.template.subject, &vars),
            body: template::render(&request.template.body, &vars),
            model: format!("template:{}", request.template_name),
            prompt_version: None,
            tokens_used: None,
            prompt_tokens: None,
            completion_tokens: None,
            fallback_used: false,
            structured_mode: None,
            repaired: false,
            latency_ms: None,
            fallback_reason: None,
        }
    }
}

impl Composer for TemplateComposer {
    fn service(&self) -> &'static str {
        "template"
    }

    fn compose(&self, request: &ComposeRequest<'_>) -> Result<ComposedEmail> {
        Ok(TemplateComposer::render(request))
    }
}
