//! The run's timeline, drawn as inline SVG: one lane per step, one bar per AWS call (from the
//! time its `aws_call` line was logged, when the call ended, back by its `duration_ms`), so
//! calls that overlapped (the region fan-out) stack in rows side by side. Errors, writes,
//! waits (`warning`), skipped steps and the run's own turns (failed, interrupted, resumed) are
//! marked. Long idle stretches (between a failure and its resume, say) are cut out of the axis
//! and labelled with their length, so the work itself stays readable.

use maud::{html, Markup};
use runbook::journal::{Event, Journal, StepName};

use crate::messages::evidence::Words;
use crate::output::clock as time;

/// A quiet stretch longer than this is drawn as a cut, not to scale.
const CUT_MS: f64 = 5_000.0;
const WIDTH: f64 = 720.0;
const LABELS: f64 = 116.0;
const CUT_PX: f64 = 64.0;
const ROW: f64 = 9.0;
const BAR: f64 = 7.0;
const LANE_MIN: f64 = 20.0;
const TOP: f64 = 26.0;

pub struct Lane {
    /// `None`: calls made outside any step (the identity check before a run opens).
    pub step: Option<StepName>,
    pub rows: usize,
}

pub struct Bar {
    pub lane: usize,
    pub row: usize,
    pub start: f64,
    pub end: f64,
    pub class: &'static str,
    pub title: String,
}

pub struct Span {
    pub lane: usize,
    pub start: f64,
    pub end: f64,
    pub class: &'static str,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    Resumed,
    Failed,
    Interrupted,
    Repaired,
    Finished,
    /// In a lane: a warning (a wait before reading again, or a note).
    Warning,
    /// In a lane: the step was skipped.
    Skipped,
    /// In a lane: the step's output from an earlier attempt was reused.
    Reused,
}

pub struct Mark {
    pub lane: Option<usize>,
    pub t: f64,
    pub kind: MarkKind,
    pub title: String,
}

pub struct Timeline {
    pub lanes: Vec<Lane>,
    pub bars: Vec<Bar>,
    pub spans: Vec<Span>,
    pub marks: Vec<Mark>,
    pub t0: f64,
    pub t1: f64,
}

impl Timeline {
    pub fn of(journal: &Journal) -> Timeline {
        let mut tl = Timeline {
            lanes: Vec::new(),
            bars: Vec::new(),
            spans: Vec::new(),
            marks: Vec::new(),
            t0: f64::MAX,
            t1: f64::MIN,
        };
        // The steps running (two, where the runbook runs a pair side by side): lane, start.
        let mut open: Vec<(StepName, usize, f64)> = Vec::new();
        for (record, event) in journal.records.iter().zip(&journal.events) {
            let Some(t) = time::millis(&record.ts) else {
                continue;
            };
            tl.t0 = tl.t0.min(t);
            tl.t1 = tl.t1.max(t);
            match event {
                Event::AwsCall(c) => {
                    // A call names its step when two run side by side.
                    let lane = match (c.step, open.first()) {
                        (Some(step), _) => tl.lane(Some(step)),
                        (None, Some((_, lane, _))) => *lane,
                        (None, None) => tl.lane(None),
                    };
                    let start = t - c.duration_ms as f64;
                    tl.t0 = tl.t0.min(start);
                    let writes = runbook::aws::ALL_OPS
                        .iter()
                        .any(|op| op.operation == c.operation && op.writes);
                    let class = match (c.error_code.is_some(), writes) {
                        (true, _) => "call err",
                        (false, true) => "call write",
                        (false, false) => "call",
                    };
                    let outcome = match &c.error_code {
                        Some(code) => format!("error {code}"),
                        None => "ok".into(),
                    };
                    tl.bars.push(Bar {
                        lane,
                        row: 0,
                        start,
                        end: t,
                        class,
                        title: format!(
                            "{}:{} {} · {} ms · {outcome} · request {}",
                            c.service,
                            c.operation,
                            c.region,
                            c.duration_ms,
                            c.request_id.as_deref().unwrap_or("-")
                        ),
                    });
                }
                Event::StepStarted { step, .. } => open.push((*step, tl.lane(Some(*step)), t)),
                Event::StepSucceeded { step, .. } | Event::StepFailed { step, .. } => {
                    let at = open.iter().position(|(s, _, _)| s == step);
                    if let Some((_, lane, start)) = at.map(|i| open.remove(i)) {
                        let class = match event {
                            Event::StepFailed { .. } => "step failed",
                            _ => "step",
                        };
                        tl.spans.push(Span {
                            lane,
                            start,
                            end: t,
                            class,
                        });
                    }
                }
                Event::StepSkipped { step, skip } => {
                    let lane = Some(tl.lane(Some(*step)));
                    let kind = match skip {
                        runbook::journal::StepSkip::SucceededEarlier => MarkKind::Reused,
                        _ => MarkKind::Skipped,
                    };
                    tl.marks.push(Mark {
                        lane,
                        t,
                        kind,
                        title: format!(
                            "{step} skipped: {}",
                            crate::messages::evidence::skip_key(skip)
                        ),
                    });
                }
                Event::Warning { step, message } => {
                    let lane = Some(tl.lane(Some(*step)));
                    tl.marks.push(Mark {
                        lane,
                        t,
                        kind: MarkKind::Warning,
                        title: message.clone(),
                    });
                }
                Event::RunFailed { .. } | Event::RunInterrupted { .. } => {
                    for (_, lane, start) in open.drain(..) {
                        tl.spans.push(Span {
                            lane,
                            start,
                            end: t,
                            class: "step cut",
                        });
                    }
                    let (kind, title) = match event {
                        Event::RunFailed { error, .. } => (MarkKind::Failed, error.clone()),
                        Event::RunInterrupted { reason, .. } => {
                            (MarkKind::Interrupted, reason.clone())
                        }
                        _ => unreachable!(),
                    };
                    tl.marks.push(Mark {
                        lane: None,
                        t,
                        kind,
                        title,
                    });
                }
                Event::RunResumed(r) => {
                    // A killed process leaves its steps open: they end where the log ended.
                    for (_, lane, start) in open.drain(..) {
                        tl.spans.push(Span {
                            lane,
                            start,
                            end: start,
                            class: "step cut",
                        });
                    }
                    tl.marks.push(Mark {
                        lane: None,
                        t,
                        kind: MarkKind::Resumed,
                        title: format!("attempt {} by {}", r.attempt, r.caller_arn),
                    });
                }
                Event::LogRepaired {
                    dropped_torn_last_line_bytes,
                } => tl.marks.push(Mark {
                    lane: None,
                    t,
                    kind: MarkKind::Repaired,
                    title: format!("torn last line cut ({dropped_torn_last_line_bytes} bytes)"),
                }),
                Event::RunFinished { .. } => tl.marks.push(Mark {
                    lane: None,
                    t,
                    kind: MarkKind::Finished,
                    title: String::new(),
                }),
                _ => {}
            }
        }
        for (_, lane, start) in open {
            // Still open at the end of the log: running, or killed.
            tl.spans.push(Span {
                lane,
                start,
                end: tl.t1,
                class: "step cut",
            });
        }
        if tl.t0 > tl.t1 {
            tl.t0 = 0.0;
            tl.t1 = 0.0;
        }
        tl.stack();
        tl
    }

    fn lane(&mut self, step: Option<StepName>) -> usize {
        match self.lanes.iter().position(|l| l.step == step) {
            Some(i) => i,
            None => {
                self.lanes.push(Lane { step, rows: 1 });
                self.lanes.len() - 1
            }
        }
    }

    /// Calls that overlap in time go to separate rows of their lane (first row that is free).
    fn stack(&mut self) {
        let mut order: Vec<usize> = (0..self.bars.len()).collect();
        order.sort_by(|&a, &b| self.bars[a].start.total_cmp(&self.bars[b].start));
        let mut row_ends: Vec<Vec<f64>> = vec![Vec::new(); self.lanes.len()];
        for i in order {
            let bar = &mut self.bars[i];
            let ends = &mut row_ends[bar.lane];
            let row = match ends.iter().position(|&end| end <= bar.start) {
                Some(row) => row,
                None => {
                    ends.push(f64::MIN);
                    ends.len() - 1
                }
            };
            ends[row] = bar.end;
            bar.row = row;
        }
        for (lane, ends) in self.lanes.iter_mut().zip(row_ends) {
            lane.rows = ends.len().max(1);
        }
    }

    /// Stretches of activity, with the quiet stretches longer than [`CUT_MS`] between them.
    fn clusters(&self) -> Vec<(f64, f64)> {
        let mut intervals: Vec<(f64, f64)> = self
            .bars
            .iter()
            .map(|b| (b.start, b.end))
            .chain(self.spans.iter().map(|s| (s.start, s.end)))
            .chain(self.marks.iter().map(|m| (m.t, m.t)))
            .collect();
        intervals.push((self.t0, self.t0));
        intervals.push((self.t1, self.t1));
        intervals.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut clusters: Vec<(f64, f64)> = Vec::new();
        for (s, e) in intervals {
            match clusters.last_mut() {
                Some(last) if s <= last.1 + CUT_MS => last.1 = last.1.max(e),
                _ => clusters.push((s, e)),
            }
        }
        clusters
    }
}

/// Where times go on the x axis: each stretch of activity to scale, each cut a fixed width.
struct Axis {
    /// (t start, t end, x start, x end) per stretch.
    pieces: Vec<(f64, f64, f64, f64)>,
}

impl Axis {
    fn new(clusters: &[(f64, f64)]) -> Axis {
        let plot = WIDTH - LABELS - 10.0;
        let cuts = clusters.len().saturating_sub(1) as f64;
        let total: f64 = clusters.iter().map(|(s, e)| e - s).sum::<f64>().max(1.0);
        let available = (plot - cuts * CUT_PX).max(100.0);
        let mut x = LABELS;
        let mut pieces = Vec::new();
        for (i, &(s, e)) in clusters.iter().enumerate() {
            if i > 0 {
                x += CUT_PX;
            }
            let w = ((e - s) / total * available).max(if clusters.len() > 1 { 8.0 } else { 0.0 });
            pieces.push((s, e, x, x + w));
            x += w;
        }
        Axis { pieces }
    }

    fn x(&self, t: f64) -> f64 {
        for (i, &(s, e, xs, xe)) in self.pieces.iter().enumerate() {
            if t <= e || i + 1 == self.pieces.len() {
                if t < s {
                    // In the cut before this stretch.
                    return xs - CUT_PX / 2.0;
                }
                return if e > s {
                    xs + (t - s) / (e - s) * (xe - xs)
                } else {
                    xs
                };
            }
        }
        LABELS
    }
}

fn f(v: f64) -> String {
    format!("{v:.1}")
}

/// Tick spacing: 1, 2 or 5 × 10^k ms, about every 110 px.
fn tick_step(ms: f64, px: f64) -> f64 {
    let want = ms / (px / 110.0).max(1.0);
    let mut step = 1.0;
    while step * 5.0 < want {
        step *= 10.0;
    }
    for m in [1.0, 2.0, 5.0, 10.0] {
        if step * m >= want {
            return step * m;
        }
    }
    step * 10.0
}

pub fn svg(tl: &Timeline, w: &Words) -> Markup {
    let clusters = tl.clusters();
    let axis = Axis::new(&clusters);
    let mut lane_y = Vec::new();
    let mut y = TOP;
    for lane in &tl.lanes {
        lane_y.push(y);
        y += (lane.rows as f64 * ROW + 6.0).max(LANE_MIN);
    }
    let bottom = y;
    let marked = tl
        .marks
        .iter()
        .any(|m| m.lane.is_none() && m.kind != MarkKind::Finished);
    let height = bottom + if marked { 30.0 } else { 4.0 };
    let lane_h = |i: usize| (tl.lanes[i].rows as f64 * ROW + 6.0).max(LANE_MIN);
    let mut ticks: Vec<(f64, String)> = Vec::new();
    for &(s, e, xs, xe) in &axis.pieces {
        let step = tick_step(e - s, xe - xs);
        let first = ((s - tl.t0) / step).ceil() * step;
        ticks.push((xs, label(s - tl.t0)));
        let mut k = first;
        while tl.t0 + k <= e {
            let x = axis.x(tl.t0 + k);
            if x - xs > 40.0 && xe - x > 20.0 {
                ticks.push((x, label(k)));
            }
            k += step;
        }
    }
    let cuts: Vec<(f64, f64)> = axis
        .pieces
        .windows(2)
        .map(|p| (p[0].3 + CUT_PX / 2.0, p[1].0 - p[0].1))
        .collect();
    let run_marks: Vec<&Mark> = tl
        .marks
        .iter()
        .filter(|m| m.lane.is_none() && m.kind != MarkKind::Finished)
        .collect();
    html! {
        svg.timeline xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {WIDTH} {}", f(height)))
            role="img" aria-label=(w.timeline) {
            @for (i, lane) in tl.lanes.iter().enumerate() {
                rect.lane x="0" y=(f(lane_y[i])) width=(WIDTH) height=(f(lane_h(i))) {}
                text.lane-label x=(LABELS - 6.0) y=(f(lane_y[i] + lane_h(i) / 2.0 + 4.0)) text-anchor="end" {
                    (lane.step.map(|s| s.as_str()).unwrap_or(w.outside_steps))
                }
            }
            @for (x, text) in &ticks {
                line.tick x1=(f(*x)) x2=(f(*x)) y1=(f(TOP - 4.0)) y2=(f(bottom)) {}
                text.tick-label x=(f(*x)) y=(f(TOP - 8.0)) text-anchor="middle" { (text) }
            }
            @for (x, gap) in &cuts {
                rect.cut x=(f(x - CUT_PX / 2.0 + 4.0)) y=(f(TOP - 2.0)) width=(f(CUT_PX - 8.0)) height=(f(bottom - TOP + 2.0)) {
                    title { (w.cut) " " (time::span(*gap)) }
                }
                text.cut-label x=(f(*x)) y=(f(TOP + 10.0)) text-anchor="middle" { "≈" }
                text.cut-label x=(f(*x)) y=(f(TOP + 21.0)) text-anchor="middle" { (time::span(*gap)) }
            }
            @for s in &tl.spans {
                rect class=(s.class) x=(f(axis.x(s.start))) y=(f(lane_y[s.lane] + 2.0))
                    width=(f((axis.x(s.end) - axis.x(s.start)).max(1.0))) height=(f(lane_h(s.lane) - 4.0)) {}
            }
            @for b in &tl.bars {
                rect class=(b.class) x=(f(axis.x(b.start)))
                    y=(f(lane_y[b.lane] + 3.0 + b.row as f64 * ROW))
                    width=(f((axis.x(b.end) - axis.x(b.start)).max(1.5))) height=(BAR) {
                    title { (b.title) }
                }
            }
            @for m in tl.marks.iter().filter(|m| m.lane.is_some()) {
                @let lane = m.lane.unwrap_or(0);
                @let (x, cy) = (axis.x(m.t), lane_y[lane] + lane_h(lane) / 2.0);
                @match m.kind {
                    MarkKind::Warning => {
                        path.warning d=(format!("M{} {}l5 5l-5 5l-5 -5z", f(x), f(cy - 5.0))) {
                            title { (w.warning) ": " (m.title) }
                        }
                    }
                    _ => {
                        text.skipped x=(f(x + 3.0)) y=(f(cy + 4.0)) {
                            title { (m.title) }
                            @if m.kind == MarkKind::Reused { (w.reused_short) } @else { (w.skipped_short) }
                        }
                    }
                }
            }
            @for (i, m) in run_marks.iter().enumerate() {
                @let x = axis.x(m.t);
                @let (class, word) = match m.kind {
                    MarkKind::Failed => ("mark failed", w.failed_short),
                    MarkKind::Interrupted => ("mark interrupted", w.interrupted_short),
                    MarkKind::Resumed => ("mark resumed", w.resumed_short),
                    _ => ("mark", w.repaired_short),
                };
                line class=(class) x1=(f(x)) x2=(f(x)) y1=(f(TOP - 2.0)) y2=(f(bottom + 4.0 + (i % 2) as f64 * 12.0)) {
                    title { (word) ": " (m.title) }
                }
                text class=(class) x=(f(x)) y=(f(bottom + 14.0 + (i % 2) as f64 * 12.0)) text-anchor="middle" { (word) }
            }
        }
    }
}

fn label(ms: f64) -> String {
    if ms <= 0.0 {
        "0".into()
    } else {
        format!("+{}", time::span(ms))
    }
}
