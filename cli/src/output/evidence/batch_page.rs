//! The batch page (`audit report BATCH_ID`): one self-contained page for the whole batch. Who
//! ran it, with what and when; one row per account (before, writes, result, run, its final
//! hash), the accounts not in the plan with why, the totals; a timeline with one lane per
//! account; each account's own section (before → after, its writes with request ids: the run
//! page's sections); the batch's final hash and the command that verifies it. `maud` escapes
//! every value for HTML, and `display::for_page` shows what is left hostile as `\u{…}`.

use maud::{html, Markup, PreEscaped, DOCTYPE};
use runbook::batch::{AccountOutcome, Selection};
use runbook::journal::ConfirmVia;

use super::batch_model::{AccountSection, BatchEvidence, Phases};
use super::template::{state, when, writes, CSS};
use crate::messages::evidence::{BatchWords, Words};
use crate::output::batch::{before_words, outcome_word};
use crate::output::clock as time;

pub fn batch_page(b: &BatchEvidence, bw: &BatchWords, w: &Words) -> String {
    let page = html! {
        (DOCTYPE)
        html lang=(w.lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (bw.title) " · " (b.started.runbook.name()) " · " (b.batch_id) }
                style { (PreEscaped(CSS)) (PreEscaped(BATCH_CSS)) }
            }
            body {
                header {
                    h1 { (bw.title) ": " span.runbook { (b.started.runbook.name()) } }
                    @let all_done = b.done() == b.accounts.len();
                    p class=(if all_done { "outcome ok" } else { "outcome bad" }) {
                        (b.done()) "/" (b.accounts.len()) " " (bw.done_of) ", "
                        (b.writes_made()) " " (bw.writes_made) " · "
                        (if all_done { bw.all_done } else { bw.some_unfinished })
                    }
                }
                (summary(b, bw, w))
                (accounts(b, bw, w))
                (not_in_plan(b, bw, w))
                (timeline(b, bw))
                @for a in &b.accounts {
                    (account_section(a, bw, w))
                }
                section.integrity {
                    h2 { (w.integrity) }
                    table.summary {
                        tr { th { (w.events) } td { (b.events) } }
                        tr { th { (w.last_hash) } td { code.hash { (b.final_hash) } } }
                        tr { th { (w.check_with) } td { pre.command { (b.verify_command) } } }
                    }
                    p.note { (bw.integrity_note) }
                }
                footer { (w.made_by) " · " (b.started.tool_version) }
            }
        }
    };
    crate::output::display::for_page(&page.into_string()).into_owned()
}

const BATCH_CSS: &str = "
table.accounts td, table.accounts th { padding: 0.6mm 2mm; vertical-align: top; }
table.accounts td.n { text-align: right; }
code.hash.short { font-size: 7.5pt; }
section.account { break-before: page; }
.lane-check { fill: #2f6db3; } .lane-wait { fill: #d97706; } .lane-write { fill: #c2410c; }
.legend .key.check { background: #2f6db3; } .legend .key.waiting { background: #d97706; }
";

fn summary(b: &BatchEvidence, bw: &BatchWords, w: &Words) -> Markup {
    let s = &b.started;
    let selection = match &s.selection {
        Selection::Organization => bw.organization.to_string(),
        Selection::Listed { files } if files.is_empty() => bw.listed.to_string(),
        Selection::Listed { files } => format!(
            "{} ({})",
            bw.listed,
            files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let question = match &b.confirmation {
        Some(c) if c.confirmed => format!(
            "{} ({}) · {} {} · {} {}",
            bw.confirmed,
            match c.via {
                Some(ConfirmVia::YesFlag) => w.via_yes,
                _ => w.via_prompt,
            },
            c.accounts.len(),
            bw.accounts,
            c.writes,
            bw.writes_made
        ),
        Some(c) => format!("{}: {}", bw.declined, c.refusal.clone().unwrap_or_default()),
        None => bw.not_asked.to_string(),
    };
    let duration = match (time::millis(&b.started_at), time::millis(&b.ended_at)) {
        (Some(a), Some(z)) => time::span(z - a),
        _ => String::new(),
    };
    html! {
        section.summary {
            table.summary {
                tr { th { (bw.batch_id) } td { code { (b.batch_id) } } }
                tr { th { (w.runbook) } td { (s.runbook.name()) } }
                tr { th { (w.arguments) } td { code { "--trail " (s.args.trails_label()) @if s.args.dry_run { " --dry-run" } } } }
                tr { th { (bw.role) } td { code { (s.role_name) } } }
                tr { th { (bw.selection) } td { (selection) } }
                tr { th { (w.caller) } td { code { (s.caller_arn) } " (" (s.caller_account) ")" } }
                tr { th { (w.credentials) } td { (s.credentials) } }
                tr { th { (w.tool) } td { (s.tool_version) } }
                tr { th { (w.started) } td { (when(&b.started_at)) } }
                tr { th { (w.ended) } td { (when(&b.ended_at)) } }
                tr { th { (w.duration) } td { (duration) } }
                tr { th { (bw.attempts) } td { (b.attempts) } }
                tr { th { (bw.question) } td { (question) } }
            }
        }
    }
}

fn before(a: &AccountSection, w: &Words) -> String {
    let lang = super::template::page_lang(w);
    a.run
        .as_ref()
        .and_then(|e| {
            Some(before_words(
                &runbook::batch::Before::of(e.status_report.as_ref()?, e.plan.as_ref()?),
                lang,
            ))
        })
        .unwrap_or_else(|| "-".into())
}

fn accounts(b: &BatchEvidence, bw: &BatchWords, w: &Words) -> Markup {
    let lang = super::template::page_lang(w);
    html! {
        section.accounts {
            h2 { (bw.accounts) " (" (b.accounts.len()) ")" }
            table.accounts {
                tr {
                    th { (bw.account) } th { (bw.before) } th { (bw.writes) }
                    th { (bw.result) } th { (bw.run) } th { (bw.run_hash) }
                }
                @for a in &b.accounts {
                    tr.account-row {
                        td { a href=(format!("#account-{}", a.account)) { (a.account) } }
                        td { (before(a, w)) }
                        td.n { (a.writes_made) }
                        // Green as SSE-S3 is on the run page: the account is where it should be.
                        td class=(if a.outcome == AccountOutcome::Done { "off" } else { "bad" }) {
                            (outcome_word(a.outcome, lang))
                        }
                        td { @match &a.run { Some(e) => code { (e.run_id) }, None => (bw.no_run) } }
                        td { @if let Some(e) = &a.run { code.hash.short { (e.last_hash) } } }
                    }
                }
                tr.totals {
                    th { (bw.totals) }
                    td { (b.done()) "/" (b.accounts.len()) " " (bw.done_of) }
                    td.n { (b.writes_made()) }
                    td {} td {} td {}
                }
            }
        }
    }
}

/// The accounts the question did not cover, with why: excluded, not ACTIVE in the
/// organization, no run (unreachable, not started…), or nothing to change.
fn not_in_plan(b: &BatchEvidence, bw: &BatchWords, w: &Words) -> Markup {
    let lang = super::template::page_lang(w);
    let mut rows: Vec<(String, String)> = Vec::new();
    for account in &b.started.excluded {
        rows.push((account.to_string(), bw.excluded.to_string()));
    }
    for skipped in &b.started.skipped {
        rows.push((
            skipped.account.to_string(),
            format!("{} ({})", bw.org_state, skipped.state),
        ));
    }
    for a in &b.accounts {
        let planned = a
            .run
            .as_ref()
            .and_then(|e| e.plan.as_ref())
            .map(|p| p.writes.len());
        match planned {
            None => rows.push((
                a.account.clone(),
                match &a.error {
                    Some(error) => format!("{}: {error}", outcome_word(a.outcome, lang)),
                    None => outcome_word(a.outcome, lang),
                },
            )),
            Some(0) => rows.push((a.account.clone(), bw.nothing_to_change.to_string())),
            Some(_) => {}
        }
    }
    html! {
        section.not-in-plan {
            h2 { (bw.not_in_plan) }
            @if rows.is_empty() { p { "-" } }
            @else {
                table.summary {
                    @for (account, why) in &rows { tr { th { (account) } td { (why) } } }
                }
            }
        }
    }
}

const WIDTH: f64 = 720.0;
const LABELS: f64 = 110.0;
const LANE: f64 = 14.0;

/// One lane per account: checking (blue) until it reached the question, waiting (amber) for
/// the answer, then writing and verifying (red-brown).
fn timeline(b: &BatchEvidence, bw: &BatchWords) -> Markup {
    let lanes: Vec<(&str, &Phases)> = b
        .accounts
        .iter()
        .filter_map(|a| Some((a.account.as_str(), a.phases.as_ref()?)))
        .collect();
    let t0 = lanes.iter().map(|(_, p)| p.start).fold(f64::MAX, f64::min);
    let t1 = lanes.iter().map(|(_, p)| p.end).fold(f64::MIN, f64::max);
    let span = (t1 - t0).max(1.0);
    let x = |t: f64| LABELS + (t - t0) / span * (WIDTH - LABELS - 4.0);
    let height = LANE * lanes.len() as f64 + 18.0;
    let bar = |from: f64, to: f64, class: &str, y: f64| {
        html! {
            rect class=(class) x=(format!("{:.1}", x(from))) y=(format!("{:.1}", y + 2.0))
                width=(format!("{:.1}", (x(to) - x(from)).max(1.0))) height="9" {}
        }
    };
    html! {
        section.timeline {
            h2 { (bw.timeline) }
            p.note { (bw.timeline_note) }
            @if !lanes.is_empty() {
                svg xmlns="http://www.w3.org/2000/svg" width=(WIDTH) height=(height)
                    viewBox=(format!("0 0 {WIDTH} {height}")) role="img" {
                    @for (i, (account, p)) in lanes.iter().enumerate() {
                        @let y = i as f64 * LANE;
                        @let asked = p.asked.unwrap_or(p.end);
                        @let answered = p.answered.unwrap_or(asked);
                        text x="0" y=(format!("{:.1}", y + 10.0)) font-size="9" { (account) }
                        (bar(p.start, asked, "lane-check", y))
                        @if p.asked.is_some() { (bar(asked, answered, "lane-wait", y)) }
                        @if p.answered.is_some() { (bar(answered, p.end, "lane-write", y)) }
                    }
                    text x=(LABELS) y=(format!("{:.1}", height - 3.0)) font-size="8" {
                        (time::local(&b.started_at))
                    }
                    text x=(WIDTH - 4.0) y=(format!("{:.1}", height - 3.0)) font-size="8"
                        text-anchor="end" { (time::span(span)) }
                }
                p.legend {
                    span.key.check {} (bw.legend_check)
                    span.key.waiting {} (bw.legend_wait)
                    span.key.write {} (bw.legend_write)
                }
            }
        }
    }
}

/// An account's own section: its before → after and its writes with request ids, as its run's
/// page shows them.
fn account_section(a: &AccountSection, bw: &BatchWords, w: &Words) -> Markup {
    let lang = super::template::page_lang(w);
    html! {
        section.account id=(format!("account-{}", a.account)) {
            h2 { (bw.account) " " (a.account) " · " (outcome_word(a.outcome, lang)) }
            @match &a.run {
                Some(e) => {
                    p { (bw.run) " " code { (e.run_id) } " · " (w.last_hash) " " code.hash.short { (e.last_hash) } }
                    (state(e, w))
                    (writes(e, w))
                }
                None => p { (bw.no_run) @if let Some(error) = &a.error { ": " (error) } }
            }
        }
    }
}
