//! The batch's one confirmation. Each account's run is put aside when it reaches the question
//! (`runbooks::Parked`); its account hands the plan to the [`Rendezvous`], frees its slot (so
//! that the other accounts can be checked meanwhile) and waits. Once every account of the
//! attempt has arrived or ended without arriving, the operator is asked once; the answer goes
//! back to every waiting account, which takes a slot again and takes its run up: the
//! [`AccountOperator`] answers the run's confirmation with it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use tokio::sync::{mpsc, oneshot, watch};

use super::accounts::AccountId;
use super::journal::{BatchConfirmation, BatchEvent, BatchLog, BatchStarted, Outcome};
use super::operator::{AccountPlan, BatchOperator, NotAsked};
use crate::error::{Error, Result};
use crate::journal::{ConfirmVia, RunStarted, StepName};
use crate::model::TrailTarget;
use crate::steps::{Operator, Plan, StatusReport};

/// Why the batch's question got no go-ahead.
#[derive(Clone, Copy, Debug)]
pub(super) enum Refused {
    No,
    Unavailable,
}

pub(super) type Answer = std::result::Result<ConfirmVia, Refused>;

enum Message {
    Arrived(Box<AccountPlan>, oneshot::Sender<Answer>),
    Passed(NotAsked),
}

pub(super) struct Rendezvous {
    expected: usize,
    tx: mpsc::UnboundedSender<Message>,
    rx: Mutex<Option<mpsc::UnboundedReceiver<Message>>>,
}

impl Rendezvous {
    pub(super) fn new(expected: usize) -> Rendezvous {
        let (tx, rx) = mpsc::unbounded_channel();
        Rendezvous {
            expected,
            tx,
            rx: Mutex::new(Some(rx)),
        }
    }

    /// An account whose run waits at the question with `plan`: the answer comes on `reply`
    /// (dropped unanswered when the batch is interrupted first).
    pub(super) fn arrive(&self, plan: AccountPlan, reply: oneshot::Sender<Answer>) {
        let _ = self.tx.send(Message::Arrived(Box::new(plan), reply));
    }

    /// An account that ended (or never started) without reaching the question.
    pub(super) fn pass(&self, account: &AccountId, outcome: Outcome, why: &str) {
        let _ = self.tx.send(Message::Passed(NotAsked {
            account: account.clone(),
            outcome,
            why: why.to_string(),
        }));
    }

    /// Waits for every account, asks once if any plan is waiting, records the answer in the
    /// batch journal and hands it to every waiting run. Returns the answer (`None`: nothing was
    /// asked). Stops without asking when the batch is interrupted.
    pub(super) async fn coordinate(
        &self,
        batch: &BatchStarted,
        operator: &dyn BatchOperator,
        log: &BatchLog,
        mut stop: watch::Receiver<Option<String>>,
    ) -> Option<std::result::Result<ConfirmVia, String>> {
        let mut rx = self.rx.lock().unwrap().take().expect("coordinated once");
        let mut plans = Vec::new();
        let mut replies = Vec::new();
        let mut not_asked = Vec::new();
        let stopped = async move {
            let _ = stop.wait_for(Option::is_some).await;
        };
        tokio::pin!(stopped);
        while plans.len() + not_asked.len() < self.expected {
            tokio::select! {
                message = rx.recv() => match message {
                    Some(Message::Arrived(plan, reply)) => {
                        plans.push(*plan);
                        replies.push(reply);
                    }
                    Some(Message::Passed(passed)) => not_asked.push(passed),
                    None => return None,
                },
                () = &mut stopped => return None,
            }
        }
        if plans.is_empty() {
            return None;
        }
        // The question in the batch's order, whatever order the accounts arrived in.
        let positions: std::collections::HashMap<&AccountId, usize> = batch
            .accounts
            .iter()
            .enumerate()
            .map(|(i, a)| (a, i))
            .collect();
        let order = |account: &AccountId| positions.get(account).copied();
        let mut paired: Vec<_> = plans.into_iter().zip(replies).collect();
        paired.sort_by_key(|(p, _)| order(&p.account));
        not_asked.sort_by_key(|n| order(&n.account));
        let (plans, replies): (Vec<_>, Vec<_>) = paired.into_iter().unzip();
        let answer = tokio::select! {
            answer = operator.confirm_batch(batch, &plans, &not_asked) => answer,
            () = &mut stopped => return None,
        };
        let (recorded, reply): (_, Answer) = match &answer {
            Ok(via) => ((true, Some(*via), None), Ok(*via)),
            Err(Error::ConfirmationUnavailable) => (
                (
                    false,
                    None,
                    Some(Error::ConfirmationUnavailable.to_string()),
                ),
                Err(Refused::Unavailable),
            ),
            Err(e) => ((false, None, Some(e.to_string())), Err(Refused::No)),
        };
        // A journal that cannot be written stops the batch at its end; the runs still record
        // the answer in their own journals.
        let _ = log.record(&BatchEvent::BatchConfirmation(BatchConfirmation {
            confirmed: recorded.0,
            via: recorded.1,
            refusal: recorded.2.clone(),
            accounts: plans.iter().map(|p| p.account.clone()).collect(),
            writes: plans.iter().map(|p| p.plan.writes.len()).sum(),
        }));
        for reply_to in replies {
            let _ = reply_to.send(reply);
        }
        Some(answer.map_err(|e| e.to_string()))
    }
}

/// The operator of one account's run inside a batch: quiet, and its question is the batch's,
/// answered before the run is taken up. It tells the batch's operator where the account stands.
pub(super) struct AccountOperator<'a> {
    batch_operator: &'a dyn BatchOperator,
    account: AccountId,
    /// The batch's answer, once the account has it.
    answer: Mutex<Option<Answer>>,
    /// The regions where the run's status step saw a changeable trail encrypted.
    encrypted_regions: Mutex<Option<Vec<String>>>,
}

impl<'a> AccountOperator<'a> {
    pub(super) fn new(batch_operator: &'a dyn BatchOperator, account: &AccountId) -> Self {
        AccountOperator {
            batch_operator,
            account: account.clone(),
            answer: Mutex::new(None),
            encrypted_regions: Mutex::new(None),
        }
    }

    /// The batch's answer, for the run's confirmation when it is taken up.
    pub(super) fn answered(&self, answer: Answer) {
        *self.answer.lock().unwrap() = Some(answer);
    }

    /// Where the status step saw the trails it may change encrypted (`None`: a resumed run that
    /// had checked before).
    pub(super) fn encrypted_regions(&self) -> Option<Vec<String>> {
        self.encrypted_regions.lock().unwrap().clone()
    }
}

impl Operator for AccountOperator<'_> {
    fn step_finished(&self, step: StepName, output: &serde_json::Value) {
        if step == StepName::Plan {
            self.batch_operator.account_checked(&self.account);
        }
        if step != StepName::CheckStatus {
            return;
        }
        if let Ok(status) = serde_json::from_value::<StatusReport>(output.clone()) {
            let regions = status.encrypted_changeable_regions();
            *self.encrypted_regions.lock().unwrap() = Some(regions);
        }
    }

    /// A resumed run reuses what it had done: its plan (checked), its confirmation (on to its
    /// writes without the question).
    fn step_reused(&self, step: StepName) {
        match step {
            StepName::Plan => self.batch_operator.account_checked(&self.account),
            StepName::Confirm => self.batch_operator.account_writing(&self.account),
            _ => {}
        }
    }

    /// The batch's answer: a run is only taken up at its confirmation once it has one (without
    /// one, nobody could answer: unavailable).
    fn confirm<'b>(
        &'b self,
        _plan: &'b Plan,
        _who: &'b RunStarted,
        _left_alone: &'b [TrailTarget],
    ) -> Pin<Box<dyn Future<Output = Result<ConfirmVia>> + Send + 'b>> {
        let answer = self
            .answer
            .lock()
            .unwrap()
            .take()
            .unwrap_or(Err(Refused::Unavailable));
        Box::pin(async move {
            answer.map_err(|refused| match refused {
                Refused::No => Error::NotConfirmed,
                Refused::Unavailable => Error::ConfirmationUnavailable,
            })
        })
    }
}
