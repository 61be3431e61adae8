//! The operator's side of a batch and what it is shown: each account's plan, the accounts not
//! asked about, each account's result.

use std::future::Future;
use std::pin::Pin;

use super::accounts::AccountId;
use super::journal::{BatchStarted, Outcome};
use crate::error::{Error, Result};
use crate::journal::{ConfirmVia, RunStarted};
use crate::model::TrailTarget;
use crate::runbooks::Report;
use crate::steps::{Plan, StatusReport};

/// One account's plan, as the batch's one question shows it.
#[derive(Clone, Debug)]
pub struct AccountPlan {
    pub account: AccountId,
    pub plan: Plan,
    pub left_alone: Vec<TrailTarget>,
    pub started: RunStarted,
    /// Where the run's status step saw a changeable trail encrypted (`None`: a resumed run
    /// that had checked before).
    pub encrypted_regions: Option<Vec<String>>,
}

/// An account that will not be in the question, and why (already reverted, failed, …).
#[derive(Clone, Debug)]
pub struct NotAsked {
    pub account: AccountId,
    pub outcome: Outcome,
    pub why: String,
}

/// The operator's side of a batch, supplied by the CLI. The hooks before `confirm_batch` say
/// where each account stands, in this order for one account (each may be missing: an account
/// may end anywhere, and a resumed run that had confirmed goes straight to its writes), so that
/// the CLI can show the whole batch as it goes; they must return at once.
pub trait BatchOperator: Send + Sync {
    /// The accounts this attempt runs (all of a new batch, the unfinished ones of a resume),
    /// before any of them starts.
    fn attempt_started(&self, _accounts: &[AccountId]) {}
    /// The account has its slot and is being reached (credentials, then its run).
    fn account_started(&self, _account: &AccountId) {}
    /// Its run has its status and its plan (the plan step finished, or was reused on resume).
    fn account_checked(&self, _account: &AccountId) {}
    /// Its run reached the confirmation and handed its plan over: it waits for the one answer.
    fn account_waiting(&self, _account: &AccountId) {}
    /// The go-ahead reached its run (or a resumed run had recorded it): on to its writes and
    /// verification.
    fn account_writing(&self, _account: &AccountId) {}
    fn account_ended(&self, _result: &AccountResult) {}
    /// Every account's plan at once (and the accounts not in it), asked once before any write.
    fn confirm_batch<'a>(
        &'a self,
        batch: &'a BatchStarted,
        plans: &'a [AccountPlan],
        not_asked: &'a [NotAsked],
    ) -> Pin<Box<dyn Future<Output = Result<ConfirmVia>> + Send + 'a>>;
}

/// How one account's part of this attempt ended: its summary row. A finished account keeps
/// only this (its whole report is in its run's journal: [`super::BatchEnd::report_of`]), so
/// that a batch's memory grows with the accounts it runs at once, not with all of them.
#[derive(Debug)]
pub struct AccountResult {
    pub account: AccountId,
    pub run_id: Option<String>,
    pub outcome: Outcome,
    /// What the account was like before (`None`: its run did not finish in this attempt).
    pub before: Option<Before>,
    /// The hash of the last line its run wrote (`None`: no run finished in this attempt): a
    /// report read back later must come from that very journal.
    pub final_hash: Option<String>,
    pub error: Option<Error>,
    pub writes_made: usize,
}

/// What an account was like before its run, in a few figures (the summary table's "before").
#[derive(Clone, Debug, PartialEq)]
pub struct Before {
    /// How many regions showed a trail this run may change encrypted with SSE-KMS.
    pub encrypted_regions: usize,
    /// Each planned bucket's default encryption algorithms (empty: none set).
    pub buckets: Vec<Vec<String>>,
}

impl Before {
    pub fn of(status: &StatusReport, plan: &Plan) -> Before {
        Before {
            encrypted_regions: status.encrypted_changeable_regions().len(),
            buckets: plan
                .buckets
                .iter()
                .map(|b| {
                    b.current
                        .rules
                        .iter()
                        .map(|r| r.sse_algorithm.clone())
                        .collect()
                })
                .collect(),
        }
    }

    pub fn of_report(report: &Report) -> Before {
        Before::of(&report.status, &report.plan)
    }
}
