//! A runbook run in-process, as `cargo xtask run … --yes` would run it, for tests and benchmarks
//! that need to choose the transport (faults, latency) or count what happened.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use crate::aws::Aws;
use crate::error::Result;
use crate::journal::{ConfirmVia, RunStarted};
use crate::runbooks::{self, Args, Begin, Report, Runbook, Session};
use crate::steps::{Operator, Plan, Settings};

/// An operator that confirms every plan, as `--yes` does.
pub struct AlwaysYes;

impl Operator for AlwaysYes {
    fn confirm<'a>(
        &'a self,
        _plan: &'a Plan,
        _who: &'a RunStarted,
        _left_alone: &'a [crate::model::TrailTarget],
    ) -> Pin<Box<dyn Future<Output = Result<ConfirmVia>> + Send + 'a>> {
        Box::pin(async { Ok(ConfirmVia::YesFlag) })
    }
}

/// And a batch's one question, as `--yes` does, without printing it.
impl crate::batch::BatchOperator for AlwaysYes {
    fn confirm_batch<'a>(
        &'a self,
        _batch: &'a crate::batch::BatchStarted,
        _plans: &'a [crate::batch::AccountPlan],
        _not_asked: &'a [crate::batch::NotAsked],
    ) -> Pin<Box<dyn Future<Output = Result<ConfirmVia>> + Send + 'a>> {
        Box::pin(async { Ok(ConfirmVia::YesFlag) })
    }
}

/// The secure-account revert's arguments: trail `Members`, every region.
pub fn default_args() -> Args {
    Args {
        trails: vec!["Members".into()],
        regions: None,
        exclude_regions: vec![],
        dry_run: false,
        undoes: None,
        force: false,
        include_organization_trail: false,
    }
}

/// A session for in-process runs: `--yes`, no interruption, the given settings.
pub fn session<'a>(aws: &'a Aws, state_dir: &'a Path, settings: Settings) -> Session<'a> {
    Session {
        aws,
        state_dir,
        operator: &AlwaysYes,
        settings,
        tool_version: "in-process",
        credentials: "testkit",
        batch: None,
        account: None,
    }
}

/// Opens `begin` through the library's one entry point and drives it to its end: the report
/// and the run's folder.
pub async fn launch(
    aws: &Aws,
    state_dir: &Path,
    begin: Begin,
    settings: Settings,
) -> Result<(Report, PathBuf)> {
    let ended = runbooks::launch(
        &session(aws, state_dir, settings),
        begin,
        std::future::pending(),
    )
    .await?;
    Ok((ended.result?, ended.dir))
}

/// A new run of `runbook` with `args`, to its end.
pub async fn run_to_end(
    aws: &Aws,
    state_dir: &Path,
    runbook: Runbook,
    args: &Args,
    settings: Settings,
) -> Result<(Report, PathBuf)> {
    let begin = Begin::New {
        runbook,
        args: args.clone(),
    };
    launch(aws, state_dir, begin, settings).await
}
