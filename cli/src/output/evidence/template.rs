//! The page. `maud` escapes every value it interpolates for HTML; the only unescaped text is
//! this file's own stylesheet. Then the whole page goes through `display::for_page`: a
//! control character or bidi override from an AWS answer is shown as `\u{…}` here as on a
//! terminal, never obeyed (the page itself holds none).

use maud::{html, Markup, PreEscaped, DOCTYPE};
use runbook::journal::{ConfirmVia, RunStatus, WriteAnswer, WriteState};
use runbook::model::NotScanned;
use runbook::model::{
    BucketState, BucketVerdict, EncryptionRule, PlannedWrite, RegionScan, RegionStatus, Runbook,
};
use runbook::steps::WriteOutcome;

use super::model::{Attempt, Evidence, GoAhead, WriteRow};
use super::timeline;
use crate::messages::evidence::{skip_reason, skip_text, Words};
use crate::output::clock as time;

pub(super) const CSS: &str = include_str!("report.css");

pub fn page(e: &Evidence, w: &Words) -> String {
    crate::output::display::for_page(&markup(e, w)).into_owned()
}

fn markup(e: &Evidence, w: &Words) -> String {
    let s = &e.started;
    html! {
        (DOCTYPE)
        html lang=(w.lang) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (w.title) " · " (s.runbook.name()) " · " (s.account) " · " (e.run_id) }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    h1 { (w.title) ": " span.runbook { (s.runbook.name()) } }
                    p class=(outcome_class(e)) { (headline(e, w)) }
                }
                (summary(e, w))
                (state(e, w))
                (left_alone(e, w))
                (writes(e, w))
                (keys(e, w))
                (timeline_section(e, w))
                (integrity(e, w))
                footer { (w.made_by) " · " (s.tool_version) }
            }
        }
    }
    .into_string()
}

fn outcome_class(e: &Evidence) -> &'static str {
    match e.status {
        RunStatus::Finished => "outcome ok",
        RunStatus::Failed | RunStatus::Interrupted => "outcome bad",
        RunStatus::Running => "outcome open",
    }
}

/// The outcome in a word or two, for the top of the page; the summary says it in full.
fn headline(e: &Evidence, w: &Words) -> String {
    match e.status {
        RunStatus::Finished => w.finished.to_string(),
        RunStatus::Failed if e.resumable => format!("{} ({})", w.failed, w.failed_resumable),
        RunStatus::Failed => format!("{} ({})", w.failed, w.failed_final),
        RunStatus::Interrupted => w.interrupted.to_string(),
        RunStatus::Running => w.running.to_string(),
    }
}

fn outcome(e: &Evidence, w: &Words) -> String {
    match e.status {
        RunStatus::Finished => w.finished.to_string(),
        RunStatus::Failed => format!(
            "{} ({}): {}",
            w.failed,
            if e.resumable {
                w.failed_resumable
            } else {
                w.failed_final
            },
            e.error.as_deref().unwrap_or("")
        ),
        RunStatus::Interrupted => format!(
            "{}: {}",
            w.interrupted,
            e.error
                .as_deref()
                .unwrap_or("")
                .trim_start_matches("interrupted: ")
        ),
        RunStatus::Running => w.running.to_string(),
    }
}

pub(super) fn when(ts: &str) -> Markup {
    html! { (time::local_with_offset(ts)) br; span.utc { (time::utc(ts)) } }
}

fn summary(e: &Evidence, w: &Words) -> Markup {
    let s = &e.started;
    let a = &s.args;
    let mut args = vec![format!("--trail {}", a.trails_label())];
    if let Some(regions) = &a.regions {
        args.push(format!("--regions {}", regions.join(",")));
    }
    for r in &a.exclude_regions {
        args.push(format!("--exclude-region {r}"));
    }
    if a.dry_run {
        args.push("--dry-run".into());
    }
    if a.force {
        args.push("--force".into());
    }
    let duration = match (time::millis(&e.started_at), time::millis(&e.ended_at)) {
        (Some(a), Some(b)) => time::span(b - a),
        _ => String::new(),
    };
    html! {
        table.summary {
            tr { th { (w.account) } td { code { (s.account) } } }
            tr { th { (w.caller) } td { code { (s.caller_arn) } } }
            tr { th { (w.credentials) } td { (s.credentials) } }
            tr { th { (w.run_id) } td { code { (e.run_id) } } }
            tr { th { (w.runbook) } td { (s.runbook.name()) } }
            @if let Some(undoes) = &a.undoes {
                tr { th { (w.undoes) } td { code { (undoes) } } }
            }
            tr { th { (w.arguments) } td { code { (args.join(" ")) } } }
            tr { th { (w.tool) } td { (s.tool_version) } }
            tr { th { (w.started) } td { (when(&e.started_at)) } }
            tr { th { (w.ended) } td { (when(&e.ended_at)) } }
            tr { th { (w.duration) } td { (duration) } }
            @for (ts, r) in &e.resumes {
                tr {
                    th { (w.resumed) }
                    td {
                        (w.attempt) " " (r.attempt) ": " (time::local_with_offset(ts)) " · " span.utc { (time::utc(ts)) }
                        br; code { (r.caller_arn) } " (" (w.credentials) " " (r.credentials) ")"
                    }
                }
            }
            tr { th { (w.outcome) } td.message { (outcome(e, w)) } }
            tr {
                th { (w.go_ahead) }
                td {
                    @match &e.go_ahead {
                        GoAhead::Given(ConfirmVia::YesFlag) => { (w.via_yes) }
                        GoAhead::Given(ConfirmVia::Prompt) => { (w.via_prompt) }
                        GoAhead::Refused(why) => { (w.refused) ": " (why) }
                        GoAhead::NotNeeded => { (w.not_needed) }
                        GoAhead::NotReached => { (w.not_reached) }
                    }
                }
            }
        }
    }
}

fn region_cell(r: Option<&RegionStatus>, w: &Words) -> Markup {
    let Some(r) = r else {
        return html! { td.none { (w.not_read) } };
    };
    match &r.scan {
        RegionScan::Scanned { trails } if trails.is_empty() => {
            html! { td.off { (w.disabled) " " small { "(" (w.no_trail) ")" } } }
        }
        RegionScan::Scanned { trails } if trails.iter().any(|t| t.encrypted()) => html! {
            td.on { (w.enabled) }
        },
        RegionScan::Scanned { .. } => html! { td.off { (w.disabled) } },
        RegionScan::Unreachable { code, message } => html! {
            td.warn title=(message) { (w.unreachable) " " small { "(" (code) ")" } }
        },
        RegionScan::Excluded => html! { td.none { (w.excluded) } },
    }
}

fn verdict(b: &BucketState) -> &'static str {
    match b.verdict() {
        BucketVerdict::SseKms => "SSE-KMS is enabled",
        BucketVerdict::SseS3 => "SSE-S3 is enabled",
        BucketVerdict::NotSet => "Default encryption is not set",
    }
}

fn rules_text(rules: &[EncryptionRule], w: &Words) -> String {
    if rules.is_empty() {
        return w.none.to_string();
    }
    rules
        .iter()
        .map(|r| {
            let mut t = r.sse_algorithm.clone();
            if let Some(k) = &r.kms_master_key_id {
                t += &format!(" {k}");
            }
            if r.bucket_key_enabled == Some(true) {
                t += " BucketKeyEnabled";
            }
            if let Some(types) = &r.blocked_encryption_types {
                t += &format!(" BlockedEncryptionTypes={}", types.join(","));
            }
            t
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn bucket_cell(b: Option<&BucketState>, w: &Words) -> Markup {
    match b {
        None => html! { td.none { (w.not_read) } },
        Some(b) => {
            let class = match b.verdict() {
                BucketVerdict::SseKms => "on",
                _ => "off",
            };
            html! { td class=(class) { (verdict(b)) br; small { code { (rules_text(&b.rules, w)) } } } }
        }
    }
}

pub(super) fn state(e: &Evidence, w: &Words) -> Markup {
    let trail = e
        .status_report
        .as_ref()
        .map(|s| s.trail.clone())
        .unwrap_or_else(|| e.started.args.trails_label());
    let status_run = e.started.runbook == Runbook::Status;
    let buckets: Vec<(String, String, Option<&BucketState>, Option<&BucketState>)> = {
        let mut rows: Vec<(String, String, Option<&BucketState>, Option<&BucketState>)> = e
            .plan
            .iter()
            .flat_map(|p| &p.buckets)
            .map(|b| {
                (
                    b.current.bucket.clone(),
                    b.current.region.clone(),
                    Some(&b.current),
                    None,
                )
            })
            .collect();
        for b in e.verify.iter().flat_map(|v| &v.buckets) {
            match rows.iter_mut().find(|r| r.0 == b.bucket) {
                Some(row) => row.3 = Some(b),
                None => rows.push((b.bucket.clone(), b.region.clone(), None, Some(b))),
            }
        }
        rows
    };
    html! {
        section.state {
            h2 { (w.state) }
            h3 { (w.trail_heading) ": " code { (trail) } }
            @if status_run { p.note { (w.no_change_status) } }
            @let half = if e.regions.len() > 12 { e.regions.len().div_ceil(2) } else { e.regions.len().max(1) };
            div.region-tables {
                @for part in e.regions.chunks(half) {
                    table.regions {
                        thead { tr { th { (w.region) } th { (w.before) } th { (w.after) } } }
                        tbody {
                            @for row in part {
                                tr.region {
                                    td { code { (row.region) } }
                                    (region_cell(row.before.as_ref(), w))
                                    (region_cell(row.after.as_ref(), w))
                                }
                            }
                        }
                    }
                }
            }
            @if !buckets.is_empty() || e.plan.as_ref().is_some_and(|p| !p.missing_buckets.is_empty()) {
                table.buckets {
                    thead { tr { th { (w.bucket) } th { (w.before) } th { (w.after) } } }
                    tbody {
                        @for (name, region, before, after) in &buckets {
                            tr.bucket {
                                td { code { (name) } br; small { (region) } }
                                (bucket_cell(*before, w))
                                (bucket_cell(*after, w))
                            }
                        }
                        @for missing in e.plan.iter().flat_map(|p| &p.missing_buckets) {
                            tr.bucket { td { code { (missing) } } td.warn colspan="2" { (w.bucket_missing) } }
                        }
                    }
                }
            }
        }
    }
}

fn left_alone(e: &Evidence, w: &Words) -> Markup {
    let targets: Vec<_> = e
        .status_report
        .iter()
        .flat_map(|s| &s.targets)
        .filter_map(|t| t.skip.as_ref().map(|why| (t, why)))
        .collect();
    let plan_warnings: Vec<String> = e
        .plan
        .iter()
        .flat_map(|p| &p.warnings)
        .map(|warning| crate::messages::Msg::PlanWarning(warning).text(page_lang(w)))
        .collect();
    let excluded: Vec<&str> = e
        .regions
        .iter()
        .filter(|r| {
            r.before
                .as_ref()
                .is_some_and(|b| matches!(b.scan, RegionScan::Excluded))
        })
        .map(|r| r.region.as_str())
        .collect();
    let empty = targets.is_empty()
        && plan_warnings.is_empty()
        && e.skips.is_empty()
        && excluded.is_empty()
        && e.not_scanned.is_empty();
    html! {
        section.left-alone {
            h2 { (w.left_alone) }
            @if empty {
                p { (w.nothing_left_alone) }
            } @else {
                ul {
                    @for (t, why) in &targets {
                        li { code { (t.trail.arn) } ": " (skip_reason(why, w)) }
                    }
                    @if !excluded.is_empty() {
                        li { (w.excluded) ": " code { (excluded.join(", ")) } }
                    }
                    @for (why, regions) in &e.not_scanned {
                        li {
                            (w.not_scanned) " ("
                            @match why {
                                NotScanned::NotEnabled { opt_in_status } => { (w.not_enabled) ": " (opt_in_status) }
                                NotScanned::OtherPartition { partition } => { (w.other_partition) ": " (partition) }
                            }
                            "): " code { (regions.join(", ")) }
                        }
                    }
                    @for (step, skip) in &e.skips {
                        li { (w.step_skipped) " " code { (step.as_str()) } ": " (skip_text(skip, w)) }
                    }
                    @for warning in &plan_warnings {
                        li { (w.plan_warning) ": " (warning) }
                    }
                }
            }
        }
    }
}

fn trail_key(k: &Option<String>, w: &Words) -> String {
    match k {
        Some(k) => format!("KmsKeyId {k}"),
        None => w.sse_off.to_string(),
    }
}

fn before_after(write: &PlannedWrite, w: &Words) -> (String, String) {
    match write {
        PlannedWrite::TrailKms { before, after, .. } => (trail_key(before, w), trail_key(after, w)),
        PlannedWrite::SetBucketEncryption { before, after, .. } => {
            (rules_text(before, w), rules_text(after, w))
        }
    }
}

fn attempt_text(a: &Attempt, w: &Words) -> String {
    let code = a
        .error_code
        .as_deref()
        .map(|c| format!(" {c}"))
        .unwrap_or_default();
    let answered = |answer: WriteAnswer| match answer {
        WriteAnswer::Ok => w.answered_ok.to_string(),
        WriteAnswer::Error => format!("{}{code}", w.answered_error),
        WriteAnswer::Unknown => format!("{}{code}", w.answered_unknown),
    };
    match a.state {
        WriteState::Answered(answer) => answered(answer),
        WriteState::Settled { applied } => {
            let settled = if applied {
                w.settled_applied
            } else {
                w.settled_not_applied
            };
            match a.answer {
                Some(answer) => format!("{} → {settled}", answered(answer)),
                None => settled.to_string(),
            }
        }
        WriteState::Sent => w.sent_no_answer.to_string(),
    }
}

fn row_result(row: &WriteRow, w: &Words) -> (String, &'static str) {
    match (&row.report, row.attempts.last()) {
        (Some(r), _) => match r.outcome {
            WriteOutcome::Changed => (w.changed.into(), "ok"),
            WriteOutcome::AlreadyDone => (w.already.into(), "ok"),
            WriteOutcome::SettledApplied => (w.settled_applied.into(), "ok"),
        },
        (None, Some(a)) => {
            let class = match a.state {
                WriteState::Answered(WriteAnswer::Ok) | WriteState::Settled { applied: true } => {
                    "ok"
                }
                _ => "bad",
            };
            (attempt_text(a, w), class)
        }
        (None, None) => (w.not_sent.into(), "none"),
    }
}

pub(super) fn writes(e: &Evidence, w: &Words) -> Markup {
    let note = if e.started.runbook == Runbook::Status {
        Some(w.not_made_status)
    } else if e.started.args.dry_run {
        Some(w.not_made_dry_run)
    } else {
        None
    };
    html! {
        section.writes {
            h2 { (w.writes) }
            @if let Some(note) = note { p.note { (note) } }
            @if e.writes.is_empty() { p { (w.no_writes) } }
            @for (i, row) in e.writes.iter().enumerate() {
                @let (before, after) = before_after(&row.write, w);
                @let (result, class) = row_result(row, w);
                table.write {
                    tr {
                        th { (w.operation) }
                        td { strong { (i + 1) ". " (row.write.op().qualified()) } " · " (row.write.region())
                            @if let Some(step) = row.step { " · " small { (step.as_str()) } } }
                    }
                    tr { th { (w.parameters) } td { pre { (serde_json::to_string_pretty(&row.write.params()).unwrap_or_default()) } } }
                    tr { th { (w.before) } td { code { (before) } } }
                    tr { th { (w.after) } td { code { (after) } } }
                    tr { th { (w.result) } td class=(class) { (result) } }
                    @for (n, a) in row.attempts.iter().enumerate() {
                        tr.attempt {
                            th { (w.attempt) " " (n + 1) }
                            td {
                                (attempt_text(a, w)) " · " (w.intent_line) " " (a.line)
                                @if let Some(c) = &a.call {
                                    " · " (c.duration_ms) " ms"
                                    @if let Some(status) = c.http_status { " · HTTP " (status) }
                                    br; (w.request_ids) ": " code.request-id { (c.request_id.as_deref().unwrap_or("-")) }
                                }
                                @if let Some(live) = &a.live {
                                    br; small { code { (live.to_string()) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn keys(e: &Evidence, w: &Words) -> Markup {
    let Some(report) = &e.keys else {
        // Advice only follows a revert that used a key; say nothing where it cannot apply.
        return html! {};
    };
    html! {
        section.keys {
            h2 { (w.keys) }
            @for k in &report.keys {
                table.key {
                    tr { th { (w.key) } td { code { (k.arn.as_deref().unwrap_or(&k.key)) } " · " (k.region) } }
                    tr { th { (w.key_state) } td { (k.state.as_deref().unwrap_or("?")) ", " (k.manager.as_deref().unwrap_or("?")) } }
                    tr {
                        th { "AWS Config" }
                        td {
                            @if k.config_channels.is_empty() { (w.config_none) }
                            @else { (w.config_uses) ": " code { (k.config_channels.join(", ")) } }
                        }
                    }
                    @for note in &k.notes { tr { th { "!" } td.warn { (key_note(note, w)) } } }
                }
            }
            p.warning-box { (w.key_warning) }
        }
    }
}

/// The page's language, for what the one catalogue says.
pub(super) fn page_lang(w: &Words) -> crate::flags::Lang {
    if w.lang == "ja" {
        crate::flags::Lang::Ja
    } else {
        crate::flags::Lang::En
    }
}

/// A key advice note in the page's language.
fn key_note(note: &runbook::steps::key_advice::KeyNote, w: &Words) -> String {
    crate::messages::Msg::KeyNote(note).text(page_lang(w))
}

fn timeline_section(e: &Evidence, w: &Words) -> Markup {
    html! {
        section.timeline {
            h2 { (w.timeline) }
            p.note { (w.timeline_note) }
            (timeline::svg(&e.timeline, w))
            p.legend {
                span.key.read {} (w.legend_read) " "
                span.key.write {} (w.legend_write) " "
                span.key.err {} (w.legend_error) " "
                span.key.wait {} (w.legend_wait)
            }
            @if !e.warnings.is_empty() {
                h3 { (w.warnings) }
                ul.warnings {
                    @for (step, message) in &e.warnings {
                        li { code { (step.as_str()) } ": " (message) }
                    }
                }
            }
        }
    }
}

fn integrity(e: &Evidence, w: &Words) -> Markup {
    html! {
        section.integrity {
            h2 { (w.integrity) }
            table.summary {
                tr { th { (w.events) } td { (e.events) " (aws_call: " (e.calls) ")" } }
                tr { th { (w.last_hash) } td { code.hash { (e.last_hash) } } }
                tr { th { (w.check_with) } td { pre.command { (e.verify_command) } } }
            }
            p.note { (w.integrity_note) }
        }
    }
}
