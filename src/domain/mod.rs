//! Pure domain logic: payload shapes, lead normalisation, scoring, routing, templates, guards and
//! email rendering, and the retry policy. Nothing in here does I/O, so all of it is unit-tested without a database.

pub mod api_key;
pub mod api_submission;
pub mod email;
pub mod guard;
pub mod html;
pub mod lead;
pub mod privacy;
pub mod retry;
pub mod routing;
pub mod scoring;
pub mod stats;
pub mod submission;
pub mod template;
pub mod tenant;
pub mod time;
