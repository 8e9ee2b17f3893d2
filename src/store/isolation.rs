//! Tenant isolation at the store: two stores of one database, each opened for its tenant, with
//! the same submission in both; one never reads or writes the other's rows by id.

use super::test_support::{SEED, SharedDb, enqueue, progress, task_step};
use super::{Acceptance, PipelineWrite, Store, WorkflowStatus};
use crate::error::Error;

fn two_stores(db: &SharedDb) -> (Store, Store) {
    (db.open("acme"), db.open("globex"))
}

#[test]
fn the_same_submission_is_accepted_once_per_tenant() {
    let db = SharedDb::new();
    let (acme, globex) = two_stores(&db);
    let (acme_wf, _) = enqueue(&acme, SEED);
    let (globex_wf, _) = enqueue(&globex, SEED);
    assert_ne!(acme_wf, globex_wf);
    let again = crate::domain::submission::parse_payload(SEED.as_bytes()).unwrap();
    let item = super::NewSubmission::received(
        super::Source::Run,
        &again.submissions[0],
        SEED.as_bytes(),
        2,
    );
    assert!(matches!(
        acme.accept_submissions(&[item]).unwrap()[0],
        Acceptance::Duplicate { .. }
    ));
}

#[test]
fn ids_of_another_tenant_are_not_found_and_never_written() {
    let db = SharedDb::new();
    let (acme, globex) = two_stores(&db);
    let (wf, _) = enqueue(&acme, SEED);
    enqueue(&globex, SEED);
    acme.apply(
        None,
        &[PipelineWrite::Step(task_step(
            &wf,
            super::states::StepStatus::Completed,
        ))],
        2,
    )
    .unwrap();
    let submission = acme.get_workflow(&wf).unwrap().submission_id;

    assert!(matches!(globex.get_workflow(&wf), Err(Error::NotFound(_))));
    assert!(matches!(
        globex.resolve_workflow_id(&wf),
        Err(Error::NotFound(_))
    ));
    assert!(globex.workflow_steps(&wf).unwrap().is_empty());
    assert!(globex.get_submission(&submission).is_err());
    assert!(globex.task_for_workflow(&wf).unwrap().is_none());
    assert!(globex.draft_for_workflow(&wf).unwrap().is_none());
    assert_eq!(globex.supersede_steps(&wf, 0, "task", "x", 3).unwrap(), 0);
    assert!(
        globex
            .apply(None, &[progress(&wf, WorkflowStatus::Completed, 4)], 4)
            .is_err()
    );

    let row = acme.get_workflow(&wf).unwrap();
    assert_eq!(row.status, WorkflowStatus::Pending);
    let steps = acme.workflow_steps(&wf).unwrap();
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].status, super::states::StepStatus::Completed);
}
