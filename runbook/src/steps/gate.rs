//! Two write steps side by side (the trail's and the bucket's), each its own guarded write:
//! each reads its target fresh and checks it against the plan, then waits here; neither records
//! a write intent (nor sends) before both have got that far, or the other has ended without a
//! write to send. If either stops first (a failed read, a plan gone stale, an interruption),
//! the other sends nothing more and fails, naming it: the pair's first writes are all or
//! nothing, as the two steps one after the other were up to the first. (Only the first write
//! of each side waits here; a later one follows its own fresh read.)

use std::sync::Arc;

use tokio::sync::watch;

use crate::error::{Error, Result};
use crate::journal::StepName;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    /// Reading its target, not at its first write yet.
    Reading,
    /// At its first write: its fresh read passed.
    Ready,
    /// Ended well (it may have had nothing to send).
    Finished,
    /// Ended in failure before or after its write.
    Stopped,
}

/// The pair's shared state.
pub struct Gate {
    sides: watch::Sender<[Side; 2]>,
    steps: [StepName; 2],
}

/// One step's side of a [`Gate`].
#[derive(Clone)]
pub struct GateSide {
    gate: Arc<Gate>,
    me: usize,
}

impl Gate {
    /// A gate for `first` and `second`, and each one's side.
    pub fn pair(first: StepName, second: StepName) -> (GateSide, GateSide) {
        let (sides, _) = watch::channel([Side::Reading; 2]);
        let gate = Arc::new(Gate {
            sides,
            steps: [first, second],
        });
        (
            GateSide {
                gate: gate.clone(),
                me: 0,
            },
            GateSide { gate, me: 1 },
        )
    }
}

impl GateSide {
    fn other(&self) -> usize {
        1 - self.me
    }

    /// Called before each write intent: the first time, waits until the other side is ready
    /// too (or ended well); errs when it stopped.
    pub async fn ready(&self) -> Result<()> {
        let (me, other) = (self.me, self.other());
        self.gate.sides.send_if_modified(|sides| {
            let first_time = sides[me] == Side::Reading;
            if first_time {
                sides[me] = Side::Ready;
            }
            first_time
        });
        let mut seen = self.gate.sides.subscribe();
        let sides = seen
            .wait_for(|sides| sides[other] != Side::Reading)
            .await
            .expect("the gate holds its own sender");
        match sides[other] {
            Side::Stopped if sides[me] == Side::Ready => Err(Error::NotSentBeside {
                step: self.gate.steps[me],
                beside: self.gate.steps[other],
            }),
            _ => Ok(()),
        }
    }

    /// Called when the step has ended: releases (or stops) the other side.
    pub fn end(&self, ok: bool) {
        let me = self.me;
        self.gate.sides.send_modify(|sides| {
            sides[me] = if ok { Side::Finished } else { Side::Stopped };
        });
    }
}
