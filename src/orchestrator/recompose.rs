//! Recomposing a finished workflow's draft (`drafts recompose`): the lead, contact, history, score
//! and route its completed steps recorded are restored, and compose and guard run again with the
//! current configuration (templates, prompts). It writes nothing and calls no CRM or mailbox; the
//! operator stores the result and updates the mailbox draft.

use super::{Pipeline, STEPS, State, Step, steps};
use crate::connectors::ComposedEmail;
use crate::error::{Error, Result};
use crate::store::StepStatus;

/// The steps whose results a recompose starts from.
const INPUTS: [Step; 6] = [
    Step::Validate,
    Step::Contact,
    Step::Company,
    Step::History,
    Step::Score,
    Step::Route,
];

impl Pipeline<'_> {
    /// A new text for the workflow's draft, composed and guarded as the pipeline would now.
    /// Fails (invalid input) when the guard refuses the new text, and when the workflow never
    /// got as far as routing.
    pub fn recompose(&self, workflow_id: &str) -> Result<ComposedEmail> {
        let workflow = self.store.get_workflow(workflow_id)?;
        let submission = self.store.get_submission(&workflow.submission_id)?;
        let records = self.store.workflow_steps(workflow_id)?;
        let mut state = State::default();
        for step in STEPS.iter().filter(|s| INPUTS.contains(s)) {
            let done = records
                .iter()
                .rev()
                .find(|r| r.seq == step.seq() && r.status == StepStatus::Completed);
            match done {
                Some(r) => steps::restore(*step, r.output.as_deref(), &mut state)?,
                None if *step == Step::Validate || *step == Step::Route => {
                    return Err(Error::Refused(format!(
                        "workflow {workflow_id} has no completed {} step to recompose from",
                        step.name()
                    )));
                }
                None => {}
            }
        }
        let ctx = steps::Context {
            pipeline: self,
            workflow_id,
            submission: &submission,
            intent: None,
            retrying: false,
        };
        steps::compose(&ctx, &mut state)?;
        steps::guard(&ctx, &mut state)?;
        state
            .composed
            .ok_or_else(|| Error::InvalidInput("the composer returned nothing".into()))
    }
}
