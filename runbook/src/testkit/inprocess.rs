//! A runbook run in-process, as `cargo xtask run … --yes` would run it, for tests and benchmarks
//! that need to choose the transport (faults, latency) or count what happened.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;

use crate::aws::{Aws, CallBuffer};
use crate::error::Result;
use crate::run::Run;
use crate::runbooks::{self, Args, Report, Runbook};
use crate::steps::{Cx, Operator, Plan, Settings};

/// An operator that confirms every plan, as `--yes` does.
pub struct AlwaysYes;

impl Operator for AlwaysYes {
    fn confirm<'a>(
        &'a self,
        _plan: &'a Plan,
    ) -> Pin<Box<dyn Future<Output = Result<String>> + Send + 'a>> {
        Box::pin(async { Ok("--yes".to_string()) })
    }
}

/// The secure-account revert's arguments: trail `Members`, every region.
pub fn default_args() -> Args {
    Args {
        trail: "Members".into(),
        regions: None,
        exclude_regions: vec![],
        dry_run: false,
    }
}

/// Identity, a new run in `state_dir`, every step; the report and the run's folder.
pub async fn run_to_end(
    aws: &Aws,
    state_dir: &Path,
    runbook: Runbook,
    args: &Args,
    settings: Settings,
) -> Result<(Report, PathBuf)> {
    let early = CallBuffer::default();
    let identity = runbooks::identity(aws, &early).await?;
    let calls = early.take();
    let args_json = serde_json::to_value(args).expect("args serialize");
    let run = Run::start(
        state_dir,
        runbook.name(),
        args_json,
        &identity,
        calls,
        "in-process",
    )?;
    let cx = Cx {
        aws,
        run: &run,
        operator: &AlwaysYes,
        settings,
    };
    let report = runbooks::execute(&cx, runbook, args).await?;
    Ok((report, run.dir().to_path_buf()))
}
