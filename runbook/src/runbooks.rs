//! The runbooks, `revert` and `status`, as sequences of typed steps; and [`launch`], the one
//! entry point that opens a run (new, or resumed from its journal), drives it, and records how
//! it ended. The CLI, the testkit, the benchmarks and the tests all go through it.

use std::future::Future;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::aws::{self, Aws, CallBuffer, CallSink, GET_CALLER_IDENTITY};
use crate::error::{Error, Result};
use crate::journal::{LeftAlone, RunStarted, StepName, StepSkip, FORMAT};
pub use crate::model::{Args, Runbook};
use crate::model::{Identity, PlannedWrite, RegionScan, TrailTarget};
use crate::run::{ParkedRun, Run};
use crate::steps::gate::{Gate, GateSide};
use crate::steps::turnstile::{OrderSide, Turnstile};
use crate::steps::*;

/// Everything a run found and did, step by step (`None`: the step was not needed or not reached).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub runbook: Runbook,
    pub dry_run: bool,
    pub preflight: PreflightOutput,
    pub status: StatusReport,
    pub plan: Plan,
    pub confirmation: Option<Confirmation>,
    pub trails: Option<Vec<WriteReport>>,
    pub buckets: Option<Vec<WriteReport>>,
    pub verify: Option<VerifyReport>,
    pub keys: Option<KeyReport>,
    /// `restore`: the revert run it undoes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<String>,
}

impl Report {
    /// The trails that matched but will not be changed (each with its skip reason): shown with
    /// the plan at the confirmation.
    pub fn left_alone(&self) -> Vec<TrailTarget> {
        self.status
            .targets
            .iter()
            .filter(|t| t.skip.is_some())
            .cloned()
            .collect()
    }

    /// A revert or status run's report as its journal holds it (its steps' recorded outputs).
    /// A run that did not get as far as its plan has no report: refused, naming the journal.
    pub fn from_journal(journal: &crate::journal::Journal) -> Result<Report> {
        let refused = |detail: String| Error::AuditCorrupt {
            path: journal.path.clone(),
            line: journal.records.len(),
            problem: detail.into(),
        };
        fn recorded<S: Step>(
            journal: &crate::journal::Journal,
            refused: impl Fn(String) -> Error,
        ) -> Result<Option<S::Output>> {
            journal
                .fold
                .output(S::NAME)
                .map(|output| serde_json::from_value(output.clone()))
                .transpose()
                .map_err(|e| {
                    refused(format!(
                        "its {} output does not read: {e}",
                        S::NAME.as_str()
                    ))
                })
        }
        let unfinished = || refused("the run did not get as far as its plan".into());
        // A write step skipped for having nothing to write reported no writes (as the run
        // itself holds it: an empty list, not nothing).
        let nothing_to_write = |why: StepSkip| {
            journal
                .events
                .iter()
                .any(|e| matches!(e, crate::journal::Event::StepSkipped { skip, .. } if *skip == why))
                .then(Vec::new)
        };
        let started = &journal.started;
        Ok(Report {
            runbook: started.runbook,
            dry_run: started.args.dry_run,
            preflight: recorded::<Preflight>(journal, refused)?.ok_or_else(unfinished)?,
            status: recorded::<CheckStatus>(journal, refused)?.ok_or_else(unfinished)?,
            plan: recorded::<MakePlan>(journal, refused)?.ok_or_else(unfinished)?,
            confirmation: recorded::<Confirm>(journal, refused)?,
            trails: recorded::<DisableTrailKms>(journal, refused)?
                .or_else(|| nothing_to_write(StepSkip::NoTrailEncrypted)),
            buckets: recorded::<SetBucketAes256>(journal, refused)?
                .or_else(|| nothing_to_write(StepSkip::NoBucketSseKms)),
            verify: recorded::<Verify>(journal, refused)?,
            keys: recorded::<KeyAdvice>(journal, refused)?,
            undoes: None,
        })
    }

    pub fn writes_made(&self) -> usize {
        self.trails
            .iter()
            .chain(self.buckets.iter())
            .flatten()
            .filter(|w| w.made())
            .count()
    }
}

/// Who the credentials belong to (STS GetCallerIdentity), recorded in `sink`.
pub async fn identity(aws: &Aws, sink: &dyn CallSink) -> Result<Identity> {
    aws.check_credentials().await?;
    ask_identity(aws, sink).await
}

/// [`identity`], the credentials already checked.
async fn ask_identity(aws: &Aws, sink: &dyn CallSink) -> Result<Identity> {
    let region = aws.default_region();
    let out = aws::call(
        aws,
        sink,
        GET_CALLER_IDENTITY,
        &region,
        json!({}),
        aws.sts(&region).get_caller_identity().send(),
    )
    .await?;
    Ok(Identity {
        account: out.account().unwrap_or_default().to_string(),
        arn: out.arn().unwrap_or_default().to_string(),
    })
}

/// What a run works with, whichever way it is opened.
pub struct Session<'a> {
    pub aws: &'a Aws,
    pub state_dir: &'a Path,
    pub operator: &'a dyn Operator,
    pub settings: Settings,
    pub tool_version: &'a str,
    /// Where the credentials came from (recorded; never the keys).
    pub credentials: &'a str,
    /// The batch this run belongs to (recorded in `run_started`).
    pub batch: Option<&'a str>,
    /// The account the credentials must act in: a run is refused before it opens when they act
    /// in another (a batch's assumed role that landed elsewhere).
    pub account: Option<&'a str>,
}

/// A new run, or the continuation of one (the latest resumable one when no id is given).
pub enum Begin {
    New { runbook: Runbook, args: Args },
    Resume { run_id: Option<String> },
}

/// A run that was opened and driven to an end (finished, failed or interrupted).
pub struct Ended {
    pub run_id: String,
    pub dir: PathBuf,
    /// What the run was started with, from its journal.
    pub started: RunStarted,
    pub result: Result<Report>,
    /// The hash of the last line the run wrote to its journal.
    pub final_hash: String,
}

/// The state directory of the fleet whose account folder `state_dir` is
/// (`<fleet>/accounts/<12 digits>`), if it is one.
fn fleet_of(state_dir: &Path) -> Option<&Path> {
    let name = state_dir.file_name()?.to_str()?;
    let accounts = state_dir.parent()?;
    let is_account = name.len() == 12 && name.bytes().all(|b| b.is_ascii_digit());
    // `accounts` is `batch::journal::ACCOUNTS_DIR` (named here: a batch drives runbooks, not
    // the other way round).
    (is_account && accounts.file_name()? == "accounts")
        .then(|| accounts.parent())
        .flatten()
}

/// A run put aside at its confirmation (a batch's account, until the batch's one question is
/// answered): its plan, for the question, and its journal, lock held. Its future has ended and
/// what it found is in its journal, so a waiting account holds its [`ParkedRun`] and nothing
/// more once it has handed its plan over. [`take_up`] goes on with the answer.
pub struct Parked {
    pub run: ParkedRun,
    pub plan: Plan,
    /// The encrypted trails the plan leaves alone, and why ([`Report::left_alone`]).
    pub left_alone: Vec<TrailTarget>,
}

/// How [`launch_or_park`] left a run. (A value returned once per run and unpacked at once:
/// `Ended`'s size costs nothing kept; the parked run, kept while it waits, is boxed.)
#[allow(clippy::large_enum_variant)]
pub enum Launched {
    Ended(Ended),
    Parked(Box<Parked>),
}

/// How far the steps went.
enum Progress {
    Ended(Report),
    /// Stopped before the confirmation, which nothing has answered yet.
    Parked(Report),
}

/// Opens a run and drives it until it ends, or until `interrupt` completes (with the reason),
/// which ends it as interrupted. Errors before a run is open (credentials, lock, nothing to
/// resume, a journal that does not verify) are returned as such; errors of the run are in
/// [`Ended::result`], and the journal records them.
pub async fn launch(
    session: &Session<'_>,
    begin: Begin,
    interrupt: impl Future<Output = String>,
) -> Result<Ended> {
    match open_and_drive(session, begin, interrupt, false).await? {
        Launched::Ended(ended) => Ok(ended),
        Launched::Parked(_) => unreachable!("a run that may not park does not"),
    }
}

/// [`launch`], except that a run reaching a confirmation it has not had is put aside there
/// ([`Launched::Parked`]) instead of asking: nothing is recorded for the confirmation yet.
pub async fn launch_or_park(
    session: &Session<'_>,
    begin: Begin,
    interrupt: impl Future<Output = String>,
) -> Result<Launched> {
    open_and_drive(session, begin, interrupt, true).await
}

/// Takes a parked run up again in the same attempt (no `run_resumed`: the process never
/// stopped) at its confirmation, which `session.operator` now answers, and drives it to its
/// end as [`launch`] does. Its journal must still end where the run left it.
/// What it found and planned is read back from its journal ([`Report::from_journal`]).
pub async fn take_up(
    session: &Session<'_>,
    parked: ParkedRun,
    interrupt: impl Future<Output = String>,
) -> Result<Ended> {
    let (run, report) = Run::unpark(parked, Report::from_journal)?;
    let started = run.started();
    let args = &started.args;
    let result = drive(session, &run, interrupt, |cx| async move {
        let acted = Box::pin(act(&cx, report, args)).await.map(Progress::Ended);
        record_end(&cx, acted)
    })
    .await;
    Ok(Ended {
        run_id: run.id().to_string(),
        dir: run.dir().to_path_buf(),
        started,
        result: result.map(Progress::into_report),
        final_hash: run.fold(|f| f.last_hash().to_string()),
    })
}

/// Records, in a parked run's journal, that it was interrupted while it waited.
pub fn interrupt_parked(parked: ParkedRun, reason: &str) -> Result<Ended> {
    let (run, ()) = Run::unpark(parked, |_| Ok(()))?;
    run.interrupt(reason)?;
    Ok(Ended {
        run_id: run.id().to_string(),
        dir: run.dir().to_path_buf(),
        started: run.started(),
        result: Err(Error::Interrupted {
            run_id: run.id().to_string(),
        }),
        final_hash: run.fold(|f| f.last_hash().to_string()),
    })
}

impl Progress {
    fn into_report(self) -> Report {
        match self {
            Progress::Ended(report) | Progress::Parked(report) => report,
        }
    }
}

async fn open_and_drive(
    session: &Session<'_>,
    begin: Begin,
    interrupt: impl Future<Output = String>,
    park: bool,
) -> Result<Launched> {
    let early = CallBuffer::default();
    // A new run's region list needs only credentials: it is asked side by side with the
    // identity (one round trip, not two), and recorded after it, whichever answers first.
    let listing = CallBuffer::default();
    let (identity, listed) = match &begin {
        Begin::New { runbook, .. } if runbook.scans_regions() => {
            session.aws.check_credentials().await?;
            let (identity, listed) = tokio::join!(
                ask_identity(session.aws, &early),
                preflight::list_regions(session.aws, &listing)
            );
            // A listing that failed is asked again by the preflight step, which reports it.
            (identity?, listed.ok())
        }
        _ => (identity(session.aws, &early).await?, None),
    };
    if let Some(expected) = session.account.filter(|a| *a != identity.account) {
        return Err(Error::WrongAccount {
            expected: expected.to_string(),
            actual: identity.account,
            caller_arn: identity.arn,
        });
    }
    let mut calls = early.take();
    calls.extend(listing.take());
    // An account's run started on its own (`--state-dir runs/accounts/ID`) also holds the
    // fleet's lock, so an operator's `flock runs/lock` keeps it out as it keeps batches out. (A
    // batch's own runs do not: the batch holds that lock for them.)
    let _fleet_lock = match fleet_of(session.state_dir) {
        Some(fleet) if session.batch.is_none() => {
            Some(crate::lock::Lock::acquire(fleet, "an account's run")?)
        }
        _ => None,
    };
    let run = match begin {
        Begin::New { runbook, args } => Run::start(
            session.state_dir,
            RunStarted {
                format: FORMAT,
                tool_version: session.tool_version.to_string(),
                runbook,
                args,
                account: identity.account,
                caller_arn: identity.arn,
                credentials: session.credentials.to_string(),
                batch: session.batch.map(str::to_string),
            },
            calls,
        )?,
        Begin::Resume { run_id } => Run::resume(
            session.state_dir,
            run_id.as_deref(),
            &identity,
            session.credentials,
            calls,
        )?,
    };
    let started = run.started();
    let result = drive(session, &run, interrupt, |cx| async move {
        execute(&cx, started.runbook, &started.args, park, listed).await
    })
    .await;
    match result {
        Ok(Progress::Parked(report)) => Ok(Launched::Parked(Box::new(Parked {
            run: run.park()?,
            left_alone: report.left_alone(),
            plan: report.plan,
        }))),
        result => Ok(Launched::Ended(Ended {
            run_id: run.id().to_string(),
            dir: run.dir().to_path_buf(),
            started: run.started(),
            result: result.map(Progress::into_report),
            final_hash: run.fold(|f| f.last_hash().to_string()),
        })),
    }
}

/// Runs `work` on `run` until it ends, or until `interrupt` completes, which records the run
/// as interrupted.
async fn drive<'r, W, F>(
    session: &Session<'r>,
    run: &'r Run,
    interrupt: impl Future<Output = String>,
    work: W,
) -> Result<Progress>
where
    W: FnOnce(Cx<'r>) -> F,
    F: Future<Output = Result<Progress>>,
{
    let cx = Cx {
        aws: session.aws,
        run,
        operator: session.operator,
        settings: session.settings.clone(),
        beside: None,
    };
    tokio::select! {
        result = work(cx) => result,
        reason = interrupt => {
            run.interrupt(&reason)?;
            Err(Error::Interrupted { run_id: run.id().to_string() })
        }
    }
}

/// Whether none of `steps` has started in an earlier attempt (or this one): only then may they
/// run side by side (a step reused or resumed goes one at a time, in the runbook's order).
fn none_ran(cx: &Cx<'_>, steps: &[StepName]) -> bool {
    cx.run.fold(|f| {
        steps
            .iter()
            .all(|s| f.output(*s).is_none() && !f.steps().iter().any(|r| r.name == *s))
    })
}

/// Runs `step` beside another: its calls name it, its journal lines take their turn at
/// `order`, its writes (if it writes) wait at `gate`; when it ends, the other side is told.
async fn beside<S: Step>(
    cx: &Cx<'_>,
    step: &S,
    order: OrderSide,
    gate: Option<GateSide>,
) -> Result<S::Output> {
    let side = cx.beside(Beside {
        step: S::NAME,
        order: order.clone(),
        gate: gate.clone(),
    });
    let ended = side.step(step).await;
    if let Some(gate) = gate {
        gate.end(ended.is_ok());
    }
    order.end(cx.run);
    ended
}

/// The trail's and the bucket's writes side by side, each its own step that reads its target
/// fresh before writing it, behind one [`Gate`]: neither sends before both reads passed. The
/// run's error is the first step's that is not only the other's echo.
async fn both_writes(
    cx: &Cx<'_>,
    trail_writes: Vec<PlannedWrite>,
    bucket_writes: Vec<PlannedWrite>,
) -> Result<(Vec<WriteReport>, Vec<WriteReport>)> {
    let (trail_gate, bucket_gate) = Gate::pair(DisableTrailKms::NAME, SetBucketAes256::NAME);
    let (trail_order, bucket_order) = Turnstile::pair();
    let trail = DisableTrailKms {
        writes: trail_writes,
    };
    let bucket = SetBucketAes256 {
        writes: bucket_writes,
    };
    // Each side boxed: two write steps held inline would make the run's future too large
    // for a thread's stack in a debug build.
    let (trails, buckets) = tokio::join!(
        Box::pin(beside(cx, &trail, trail_order, Some(trail_gate))),
        Box::pin(beside(cx, &bucket, bucket_order, Some(bucket_gate)))
    );
    cx.run.check_healthy()?;
    // While a write is unsettled (sent, its answer lost), the run must stay resumable so that
    // resume settles it by reading: a side's error that would end the run for good (a plan gone
    // stale) gives way to the other side's resumable one.
    let unsettled = cx.run.fold(|f| f.writes().iter().any(|w| w.unsettled()));
    match (trails, buckets) {
        (Ok(trails), Ok(buckets)) => Ok((trails, buckets)),
        (Err(a), Err(b)) if unsettled && !a.is_resumable() && b.is_resumable() => Err(b),
        (Err(a @ Error::NotSentBeside { .. }), Err(b)) if unsettled && !b.is_resumable() => Err(a),
        (Err(Error::NotSentBeside { .. }), Err(cause)) | (Err(cause), _) | (_, Err(cause)) => {
            Err(cause)
        }
    }
}

/// Runs a write step over `writes`, or records why it was not needed.
async fn write_step<S: Step<Output = Vec<WriteReport>>>(
    cx: &Cx<'_>,
    writes: Vec<PlannedWrite>,
    step: impl FnOnce(Vec<PlannedWrite>) -> S,
    skip: StepSkip,
) -> Result<Vec<WriteReport>> {
    if writes.is_empty() {
        cx.skip(S::NAME, skip)?;
        Ok(Vec::new())
    } else {
        cx.step(&step(writes)).await
    }
}

/// Runs `runbook` to its end (or to its confirmation, when it may `park`) and records how it
/// ended.
/// `listed`: the regions listed before the run opened, if they were.
async fn execute(
    cx: &Cx<'_>,
    runbook: Runbook,
    args: &Args,
    park: bool,
    listed: Option<ListedRegions>,
) -> Result<Progress> {
    let progress = steps(cx, runbook, args, park, listed).await;
    record_end(cx, progress)
}

/// Records how the run ended (nothing, for a run that was put aside).
fn record_end(cx: &Cx<'_>, progress: Result<Progress>) -> Result<Progress> {
    match &progress {
        Ok(Progress::Ended(report)) => cx.run.finish(report.plan.writes.len(), report.dry_run)?,
        Ok(Progress::Parked(_)) => {}
        Err(err) => cx.run.fail(err)?,
    }
    progress
}

async fn steps(
    cx: &Cx<'_>,
    runbook: Runbook,
    args: &Args,
    park: bool,
    listed: Option<ListedRegions>,
) -> Result<Progress> {
    if runbook == Runbook::Restore {
        return restore(cx, args).await.map(Progress::Ended);
    }
    let started = cx.run.started();
    let identity = Identity {
        account: started.account,
        arn: started.caller_arn,
    };
    let preflight = cx
        .step(&Preflight {
            identity,
            regions: args.regions.clone(),
            exclude_regions: args.exclude_regions.clone(),
            listed,
        })
        .await?;
    let status = cx
        .step(&CheckStatus {
            wanted: args.trails.clone(),
            account: preflight.account.clone(),
            scan: preflight.scan.clone(),
            excluded: preflight.excluded.clone(),
            include_organization_trail: args.include_organization_trail,
        })
        .await?;
    if runbook == Runbook::Revert {
        check_status::refuse_unincluded_organization_trails(&status)?;
    }
    let plan = cx
        .step(&MakePlan {
            trails: status.changeable().cloned().collect(),
        })
        .await?;
    let report = Report {
        runbook,
        dry_run: args.dry_run,
        preflight,
        status,
        plan,
        confirmation: None,
        trails: None,
        buckets: None,
        verify: None,
        keys: None,
        undoes: None,
    };
    if runbook == Runbook::Status || args.dry_run {
        return Ok(Progress::Ended(report));
    }
    // Reverting the trail while it cannot deliver at all would hide the real problem.
    if let Some(bucket) = report.plan.missing_buckets.first() {
        return Err(Error::TrailBucketMissing {
            bucket: bucket.clone(),
        });
    }
    const LATER: [StepName; 5] = [
        Confirm::NAME,
        DisableTrailKms::NAME,
        SetBucketAes256::NAME,
        Verify::NAME,
        KeyAdvice::NAME,
    ];
    if report.plan.writes.is_empty() {
        // Say truly why: an encrypted trail this run may not change is not "nothing encrypted".
        let left_alone: Vec<LeftAlone> = report
            .status
            .targets
            .iter()
            .filter(|t| t.trail.encrypted())
            .filter_map(|t| {
                t.skip.clone().map(|why| LeftAlone {
                    trail_arn: t.trail.arn.clone(),
                    why,
                })
            })
            .collect();
        let why = if left_alone.is_empty() {
            StepSkip::AlreadyReverted
        } else {
            StepSkip::OnlyTrailsLeftAlone { trails: left_alone }
        };
        for step in LATER {
            cx.skip(step, why.clone())?;
        }
        return Ok(Progress::Ended(report));
    }
    // A resumed run that had its answer goes on without asking.
    if park && cx.run.fold(|f| f.output_at(Confirm::NAME).is_none()) {
        return Ok(Progress::Parked(report));
    }
    act(cx, report, args).await.map(Progress::Ended)
}

/// The confirmation, the writes, the verification and the key advice, from what the run found
/// and planned.
async fn act(cx: &Cx<'_>, mut report: Report, args: &Args) -> Result<Report> {
    report.confirmation = Some(
        cx.step(&Confirm {
            plan: report.plan.clone(),
            left_alone: report.left_alone(),
        })
        .await?,
    );

    let trail_writes = report.plan.writes_of(aws::UPDATE_TRAIL);
    let bucket_writes = report.plan.writes_of(aws::PUT_BUCKET_ENCRYPTION);
    let (trails, buckets) = if !trail_writes.is_empty()
        && !bucket_writes.is_empty()
        && none_ran(cx, &[DisableTrailKms::NAME, SetBucketAes256::NAME])
    {
        both_writes(cx, trail_writes, bucket_writes).await?
    } else {
        // One of them has nothing to write, or an earlier attempt got as far as one of them:
        // one after the other, as the runbook lists them.
        let trails = write_step(
            cx,
            trail_writes,
            |writes| DisableTrailKms { writes },
            StepSkip::NoTrailEncrypted,
        )
        .await?;
        let buckets = write_step(
            cx,
            bucket_writes,
            |writes| SetBucketAes256 { writes },
            StepSkip::NoBucketSseKms,
        )
        .await?;
        (trails, buckets)
    };
    report.trails = Some(trails);
    report.buckets = Some(buckets);

    // Every trail and bucket the run may change must end unencrypted / not SSE-KMS, written
    // by this run or not.
    let verify = Verify {
        wanted: args.trails.clone(),
        scan: report.preflight.scan.clone(),
        excluded: report.preflight.excluded.clone(),
        trails: report
            .plan
            .trails
            .iter()
            .map(|t| (t.arn.clone(), None))
            .collect(),
        buckets: report
            .plan
            .buckets
            .iter()
            .map(|b| ExpectedBucket {
                bucket: b.current.bucket.clone(),
                region: b.current.region.clone(),
                rules: None,
            })
            .collect(),
    };
    let mut keys: Vec<String> = report
        .trails
        .iter()
        .chain(report.buckets.iter())
        .flatten()
        .flat_map(|w| w.write.keys_before())
        .collect();
    // The same key is often named by ARN on the trail and by ARN or id on the bucket.
    keys.sort();
    keys.dedup();
    if keys.is_empty() {
        report.verify = Some(cx.step(&verify).await?);
        cx.skip(KeyAdvice::NAME, StepSkip::NoKeyInUse)?;
        return Ok(report);
    }
    let home_region = report
        .plan
        .trails
        .first()
        .map(|t| t.home_region.clone())
        .unwrap_or_else(|| cx.aws.default_region());
    let regions = report
        .status
        .regions
        .iter()
        .filter(|r| matches!(r.scan, RegionScan::Scanned { .. }))
        .map(|r| r.region.clone())
        .collect();
    let advice = KeyAdvice {
        keys,
        home_region,
        regions,
    };
    if none_ran(cx, &[Verify::NAME, KeyAdvice::NAME]) {
        // They read different things (the trails and buckets; the keys and who else uses
        // them): side by side, each call naming its step.
        let (verify_order, advice_order) = Turnstile::pair();
        let (verified, advised) = tokio::join!(
            Box::pin(beside(cx, &verify, verify_order, None)),
            Box::pin(beside(cx, &advice, advice_order, None))
        );
        cx.run.check_healthy()?;
        report.verify = Some(verified?);
        report.keys = Some(advised?);
    } else {
        report.verify = Some(cx.step(&verify).await?);
        report.keys = Some(cx.step(&advice).await?);
    }
    Ok(report)
}

/// `restore`: undo the revert run `args.undoes` from what its journal recorded.
async fn restore(cx: &Cx<'_>, args: &Args) -> Result<Report> {
    let started = cx.run.started();
    let run_id = args.undoes.clone().ok_or_else(|| Error::NothingToUndo {
        run_id: String::new(),
        why: crate::error::RunUnfit::NotNamed,
    })?;
    let source = cx.step(&UndoSource { run_id }).await?;
    // The revert's writes, each the other way round, in the revert's order (trail first).
    let reversed: Vec<PlannedWrite> = source.writes.iter().map(PlannedWrite::reversed).collect();
    // Each key to put back, once, with the trails it goes back on (its key policy must let
    // CloudTrail use it for them).
    let mut keys: Vec<KeyToCheck> = Vec::new();
    for w in &reversed {
        // The trails that will write with the key: the trail itself, or every trail that
        // delivers to the bucket (CloudTrail encrypts its objects with the bucket's key).
        let trails: Vec<String> = if w.op() == aws::UPDATE_TRAIL {
            vec![w.target().to_string()]
        } else {
            source
                .deliveries
                .iter()
                .filter(|d| d.bucket == w.target())
                .map(|d| d.trail_arn.clone())
                .collect()
        };
        for key in w.keys_after() {
            match keys.iter_mut().find(|k| k.key == key) {
                Some(known) => {
                    for trail in &trails {
                        if !known.trails.contains(trail) {
                            known.trails.push(trail.clone());
                        }
                    }
                }
                None => keys.push(KeyToCheck {
                    key,
                    region: w.region().to_string(),
                    trails: trails.clone(),
                }),
            }
        }
    }
    keys.sort_by(|a, b| a.key.cmp(&b.key));
    let keys = if keys.is_empty() {
        cx.skip(CheckKeys::NAME, StepSkip::NoKeyInUse)?;
        Vec::new()
    } else {
        cx.step(&CheckKeys {
            keys,
            force: args.force,
        })
        .await?
    };
    let plan = cx
        .step(&UndoPlan {
            reversed: reversed.clone(),
            force: args.force,
            keys,
        })
        .await?;
    let trail_arns: Vec<String> = reversed
        .iter()
        .filter(|w| w.op() == aws::UPDATE_TRAIL)
        .map(|w| w.target().to_string())
        .collect();
    let mut report = Report {
        runbook: Runbook::Restore,
        dry_run: args.dry_run,
        preflight: PreflightOutput {
            partition: started
                .caller_arn
                .split(':')
                .nth(1)
                .unwrap_or("aws")
                .to_string(),
            account: started.account,
            caller_arn: started.caller_arn,
            enabled_regions: source.scan.clone(),
            scan: source.scan.clone(),
            excluded: source.excluded.clone(),
            not_scanned: Vec::new(),
        },
        status: StatusReport {
            trail: trail_arns.join(", "),
            regions: Vec::new(),
            targets: Vec::new(),
        },
        plan,
        confirmation: None,
        trails: None,
        buckets: None,
        verify: None,
        keys: None,
        undoes: Some(source.run_id.clone()),
    };
    if args.dry_run {
        return Ok(report);
    }
    if report.plan.writes.is_empty() {
        for step in [
            Confirm::NAME,
            RestoreTrailKms::NAME,
            RestoreBucketEncryption::NAME,
            Verify::NAME,
        ] {
            cx.skip(step, StepSkip::NothingToRestore)?;
        }
        return Ok(report);
    }
    report.confirmation = Some(
        cx.step(&Confirm {
            plan: report.plan.clone(),
            left_alone: Vec::new(),
        })
        .await?,
    );
    report.trails = Some(
        write_step(
            cx,
            report.plan.writes_of(aws::UPDATE_TRAIL),
            |writes| RestoreTrailKms { writes },
            StepSkip::NothingToRestore,
        )
        .await?,
    );
    report.buckets = Some(
        write_step(
            cx,
            report.plan.writes_of(aws::PUT_BUCKET_ENCRYPTION),
            |writes| RestoreBucketEncryption { writes },
            StepSkip::NothingToRestore,
        )
        .await?,
    );
    let verify = Verify::expecting(
        trail_arns,
        source.scan,
        source.excluded,
        &report.plan.writes,
    );
    report.verify = Some(cx.step(&verify).await?);
    Ok(report)
}
