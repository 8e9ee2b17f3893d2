//! `salesagent openapi`: prints the OpenAPI 3.1 document of `/api/v1` (no database, no config),
//! for client generators and for `scripts/gen-docs.sh`, which keeps `docs/openapi.json`.

use super::Context;
use crate::exit::ExitStatus;

pub fn run(ctx: &Context) -> anyhow::Result<ExitStatus> {
    ctx.printer
        .write_raw(crate::server::openapi_document().as_bytes())?;
    Ok(ExitStatus::Success)
}
