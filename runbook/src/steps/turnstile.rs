//! Two steps side by side write one journal, in an order that does not depend on the network's
//! timing: the first step's start, the second's start, then the first step's lines up to its
//! first write intent (or its end), then the second step's up to its first intent (or its
//! end), then the rest of the first, then the rest of the second. A line whose turn has not
//! come waits here, in memory. (Both starts come first so that the journal shows both steps
//! running whichever ends first: a step may start only beside one still running.)
//!
//! A write intent is never held: the step that records one waits for its turn, and sends only
//! once the intent is journaled (so a write still never leaves before its intent). What a kill
//! can lose is only lines held back: calls made and answers received, the same as a kill an
//! instant earlier. Resume re-reads all of it (an intent without its answer is settled by
//! reading). The price is that a held line's journal time is when it was written, not when it
//! happened (at most one round trip later, as both steps run the same waves).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::error::{Error, Result};
use crate::journal::Event;
use crate::run::Run;

/// One line waiting for its turn, or the mark that its step has ended without saying so (it
/// failed before it could record its outcome).
enum Item {
    Line(Box<Event>, Option<oneshot::Sender<Result<u64>>>),
    Ended,
}

#[derive(Default)]
struct State {
    held: [VecDeque<Item>; 2],
    /// The side's first line (its `step_started`) is journaled.
    started: [bool; 2],
    /// The side has journaled its first write intent, or ended.
    opened: [bool; 2],
    ended: [bool; 2],
}

impl State {
    /// Whose lines go into the journal now: first's start, second's start, first's opening,
    /// second's opening, first's rest, second's rest.
    fn turn(&self) -> usize {
        if !self.started[0] {
            0
        } else if !self.started[1] {
            1
        } else if !self.opened[0] {
            0
        } else if !self.opened[1] {
            1
        } else if !self.ended[0] {
            0
        } else {
            1
        }
    }
}

/// The journal order of a pair of steps.
#[derive(Default)]
pub struct Turnstile {
    state: Mutex<State>,
    /// Told whenever lines were journaled (a side waiting for its turn looks again).
    moved: tokio::sync::Notify,
}

/// One step's side of a [`Turnstile`].
#[derive(Clone)]
pub struct OrderSide {
    turnstile: Arc<Turnstile>,
    me: usize,
}

impl Turnstile {
    /// A turnstile for two steps: the first's side, and the second's.
    pub fn pair() -> (OrderSide, OrderSide) {
        let turnstile = Arc::new(Turnstile::default());
        (
            OrderSide {
                turnstile: turnstile.clone(),
                me: 0,
            },
            OrderSide { turnstile, me: 1 },
        )
    }

    /// Journals every held line whose turn has come.
    fn drain(&self, state: &mut State, run: &Run) {
        loop {
            let side = state.turn();
            let Some(item) = state.held[side].pop_front() else {
                return;
            };
            state.started[side] = true;
            match item {
                Item::Ended => {
                    state.opened[side] = true;
                    state.ended[side] = true;
                }
                Item::Line(event, waiter) => {
                    let opens = matches!(*event, Event::WriteIntent { .. });
                    let ends = matches!(
                        *event,
                        Event::StepSucceeded { .. } | Event::StepFailed { .. }
                    );
                    let journaled = run.record(*event);
                    state.opened[side] |= opens || ends;
                    state.ended[side] |= ends;
                    match waiter {
                        Some(waiter) => {
                            let _ = waiter.send(journaled);
                        }
                        // Nobody waits for it: a line that could not be written breaks the
                        // run, which its steps check before they go on.
                        None => {
                            if let Err(e) = journaled {
                                run.break_with(&e);
                            }
                        }
                    }
                }
            }
        }
    }
}

impl OrderSide {
    fn push(&self, run: &Run, item: Item) {
        let mut state = self.turnstile.state.lock().unwrap();
        state.held[self.me].push_back(item);
        self.turnstile.drain(&mut state, run);
        drop(state);
        self.turnstile.moved.notify_waiters();
    }

    /// Once this side has journaled its first intent, waits until its lines go straight into
    /// the journal (its turn, nothing of it held). Called before the fresh read of a later
    /// write or a retry: the read must be followed by its intent at once, not after the other
    /// step's backoff. (Before the first intent it returns at once: the gate orders those.)
    pub async fn wait_turn(&self) {
        loop {
            let moved = self.turnstile.moved.notified();
            {
                let state = self.turnstile.state.lock().unwrap();
                let opened = state.opened[self.me];
                if !opened || (state.turn() == self.me && state.held[self.me].is_empty()) {
                    return;
                }
            }
            moved.await;
        }
    }

    /// Journals `event` when its turn comes (now, or later: it waits here). A line that fails
    /// to be written breaks the run.
    pub fn record(&self, run: &Run, event: Event) {
        self.push(run, Item::Line(Box::new(event), None));
    }

    /// Journals `event` and waits until it is: its line number.
    pub async fn record_and_wait(&self, run: &Run, event: Event) -> Result<u64> {
        let (tx, rx) = oneshot::channel();
        self.push(run, Item::Line(Box::new(event), Some(tx)));
        rx.await.map_err(|_| Error::Interrupted {
            run_id: run.id().to_string(),
        })?
    }

    /// The step has ended (whatever it recorded): the other's lines no longer wait for its.
    pub fn end(&self, run: &Run) {
        self.push(run, Item::Ended);
    }
}
