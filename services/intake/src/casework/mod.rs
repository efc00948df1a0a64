//! Case work: the procedure's letters (issued by the steps, read and tracked through
//! CorrespondenceService) and the agents' one work queue (WorkQueueService).

pub mod feed;
pub(crate) mod letters;
mod letters_api;
mod metrics;
pub(crate) mod recipient;
pub(crate) mod renewals;
mod requested;
mod run_letters;
mod statements;
pub(crate) mod tasks;
mod tasks_api;
pub(crate) mod wording;
mod wording_runs;
mod yearly;
