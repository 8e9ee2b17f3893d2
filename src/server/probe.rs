//! `GET /api/probe/{workflow_id}` and `DELETE /api/probe/{workflow_id}`: how far a `salesagent
//! probe` submission has got, and removing it once it finished, so the probe works from any host.
//! Only synthetic workflows answer (anything else is 404), and only with their status: the id is
//! a UUIDv7 that only the probe that posted it has seen.

use std::sync::Arc;

use axum::extract::{Path, State};
use serde_json::json;

use super::AppState;
use super::error::{ApiError, Reply};

pub const PATH: &str = "/api/probe/{workflow_id}";

pub async fn status(
    State(state): State<Arc<AppState>>,
    Path(workflow_id): Path<String>,
) -> Result<Reply, ApiError> {
    let id = workflow_id.clone();
    let status = tokio::task::spawn_blocking(move || {
        let store = state.probe.lock().unwrap_or_else(|e| e.into_inner());
        store.synthetic_workflow_status(&id)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("probe status: {e}")))?
    .map_err(|e| ApiError::Internal(format!("probe status: {e}")))?
    .ok_or(ApiError::NotFound)?;
    Ok(Reply::Ok(
        json!({"workflow_id": workflow_id, "status": status}),
    ))
}

pub async fn remove(
    State(state): State<Arc<AppState>>,
    Path(workflow_id): Path<String>,
) -> Result<Reply, ApiError> {
    let id = workflow_id.clone();
    let (status, cleaned_up) = tokio::task::spawn_blocking(move || {
        let store = state.probe.lock().unwrap_or_else(|e| e.into_inner());
        let Some(status) = store.synthetic_workflow_status(&id)? else {
            return Ok(None);
        };
        // A workflow still running is left for its worker: purging it under the worker would
        // only turn the worker's finish into an error.
        if status.is_under_way() {
            return Ok(Some((status, false)));
        }
        store.purge_synthetic(&id)?;
        Ok::<_, crate::error::Error>(Some((status, true)))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("probe cleanup: {e}")))?
    .map_err(|e| ApiError::Internal(format!("probe cleanup: {e}")))?
    .ok_or(ApiError::NotFound)?;
    Ok(Reply::Ok(
        json!({"workflow_id": workflow_id, "status": status, "cleaned_up": cleaned_up}),
    ))
}
