//! Human output of reports, in English or in the article's Japanese wording.

use std::fmt::Write;

use runbook::journal::RunStarted;
use runbook::model::NotScanned;
use runbook::model::PlannedWrite;
use runbook::model::{
    BucketState, BucketVerdict, Encryption, RegionScan, RegionStatus, SkipReason, TrailTarget,
};
use runbook::runbooks::{Report, Runbook};
use runbook::steps::{Plan, PreflightOutput, WriteOutcome};

use crate::flags::Lang;
use crate::messages::terminal::{words, Words};

/// SSE-KMS and enabled: what the revert takes away.
const RED: anstyle::Style = crate::output::display::PALETTE[0];
/// SSE-S3, disabled, done: what the revert leaves.
const GREEN: anstyle::Style = crate::output::display::PALETTE[1];

/// A value from outside, shown and not obeyed (`display::escape`).
fn esc(value: &str) -> std::borrow::Cow<'_, str> {
    crate::output::display::escape(value)
}

/// `text` in `style`. Always written; `out::print` and `anstream::eprint!` strip it where colour
/// is not wanted.
fn paint(style: anstyle::Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// One region's verdict in words: `有効`, `disabled`, `unreachable (Code)`.
fn region_label(r: &RegionStatus, w: &Words) -> String {
    match r.encryption() {
        Encryption::Enabled => paint(RED, w.enabled),
        Encryption::Disabled | Encryption::NoTrail => paint(GREEN, w.disabled),
        Encryption::Unreachable => match &r.scan {
            RegionScan::Unreachable { code, .. } => format!("{} ({})", w.unreachable, esc(code)),
            _ => w.unreachable.to_string(),
        },
        Encryption::Excluded => w.excluded.to_string(),
    }
}

/// The regions where no trail was seen, as a note after the list.
fn no_trail_note(out: &mut String, regions: &[RegionStatus], w: &Words) {
    let no_trail: Vec<&str> = regions
        .iter()
        .filter(|r| r.encryption() == Encryption::NoTrail)
        .map(|r| r.region.as_str())
        .collect();
    if !no_trail.is_empty() {
        let _ = writeln!(out, "({}: {})", w.no_trail_in, no_trail.join(", "));
    }
}

/// The article's per-region lines: `ap-northeast-1: 有効`, then notes.
fn regions(out: &mut String, regions: &[RegionStatus], w: &Words) {
    for r in regions {
        let _ = writeln!(out, "{}: {}", r.region, region_label(r, w));
    }
    no_trail_note(out, regions, w);
}

/// Each region once, before → after on one line: `ap-northeast-1: enabled → disabled`, or
/// `af-south-1: unreachable (…) (unchanged)` (a region only one of the two scans saw shows `-`
/// for the other).
fn regions_before_after(
    out: &mut String,
    before: &[RegionStatus],
    after: &[RegionStatus],
    w: &Words,
) {
    let mut names: Vec<&str> = before.iter().map(|r| r.region.as_str()).collect();
    for r in after {
        if !names.contains(&r.region.as_str()) {
            names.push(&r.region);
        }
    }
    let label = |list: &[RegionStatus], name: &str| {
        list.iter()
            .find(|r| r.region == name)
            .map_or_else(|| "-".to_string(), |r| region_label(r, w))
    };
    for name in names {
        let (was, now) = (label(before, name), label(after, name));
        if was == now {
            let _ = writeln!(out, "{name}: {now} ({})", w.unchanged);
        } else {
            let _ = writeln!(out, "{name}: {was} → {now}");
        }
    }
    no_trail_note(out, after, w);
}

/// The regions `DescribeRegions` listed but the account cannot call, once, on one line.
fn not_scanned(out: &mut String, preflight: &PreflightOutput, w: &Words) {
    let groups = preflight.not_scanned_groups();
    if groups.is_empty() {
        return;
    }
    let parts: Vec<String> = groups
        .iter()
        .map(|(why, regions)| {
            let why = match why {
                NotScanned::NotEnabled { opt_in_status } => {
                    format!("{}: {opt_in_status}", w.not_enabled)
                }
                NotScanned::OtherPartition { partition } => {
                    format!("{}: {partition}", w.other_partition)
                }
            };
            format!("{} ({why})", regions.join(", "))
        })
        .collect();
    let _ = writeln!(out, "({}: {})", w.not_scanned, parts.join("; "));
}

/// The article's bucket verdict, alone on its line.
fn bucket(out: &mut String, b: &BucketState, w: &Words) {
    let verdict = match b.verdict() {
        BucketVerdict::SseKms => paint(RED, "SSE-KMS is enabled"),
        BucketVerdict::SseS3 => paint(GREEN, "SSE-S3 is enabled"),
        BucketVerdict::NotSet => "Default encryption is not set".to_string(),
    };
    let algorithms: Vec<String> = b
        .rules
        .iter()
        .map(|r| match &r.kms_master_key_id {
            Some(k) => format!("{} {k}", r.sse_algorithm),
            None => r.sse_algorithm.clone(),
        })
        .collect();
    let detail = if algorithms.is_empty() {
        String::new()
    } else {
        format!(" [{}]", esc(&algorithms.join(", ")))
    };
    let _ = writeln!(
        out,
        "{} {} ({}){detail}:\n{verdict}",
        w.bucket,
        esc(&b.bucket),
        b.region
    );
}

fn plan(out: &mut String, plan: &Plan, heading: &str, w: &Words) {
    let writes = &plan.writes;
    if writes.is_empty() && plan.trails.is_empty() {
        let _ = writeln!(out, "{}", w.nothing_changeable);
    } else if writes.is_empty() {
        let _ = writeln!(out, "{}", w.nothing);
    } else {
        let _ = writeln!(out, "{heading} ({}):", writes.len());
        for (i, write) in writes.iter().enumerate() {
            let what = w
                .plan_line
                .replace("{op}", &write.op().qualified())
                .replace("{region}", write.region());
            let _ = writeln!(out, "  {}. {what} {}", i + 1, write.params());
        }
    }
    keys_to_put_back(out, &plan.keys, w);
    if !plan.warnings.is_empty() {
        let _ = writeln!(out, "{}:", w.warnings);
        for warning in &plan.warnings {
            let _ = writeln!(
                out,
                "  ! {}",
                esc(&crate::messages::Msg::PlanWarning(warning).text(w.lang))
            );
        }
    }
}

/// `restore`: what is as before the revert now (each write of the plan, once made, and what
/// already was) and what is not, with why; in words for the closing line and the error.
pub fn undo_outcome(plan: &Plan, written: bool, lang: Lang) -> (Vec<String>, Vec<String>) {
    let w = words(lang);
    let name = |target: &str| {
        if target.starts_with("arn:") {
            format!("{} {target}", w.trail.to_lowercase())
        } else {
            format!("{} {target}", w.bucket.to_lowercase())
        }
    };
    let mut restored: Vec<String> = Vec::new();
    if written {
        restored.extend(plan.writes.iter().map(|wr| name(wr.target())));
    }
    restored.extend(
        plan.already_restored
            .iter()
            .map(|t| format!("{} ({})", name(t), w.already_as_before)),
    );
    let not_restored = plan
        .not_restored
        .iter()
        .map(|n| {
            let why = match n.why {
                runbook::steps::NotRestoredWhy::Deleted => w.deleted_since,
                runbook::steps::NotRestoredWhy::ChangedSince => w.changed_since,
            };
            format!("{} ({why})", name(&n.target))
        })
        .collect();
    (restored, not_restored)
}

/// The closing line of an undo that left something as it is.
fn partly_restored(plan: &Plan, written: bool, lang: Lang) -> String {
    let w = words(lang);
    let (done, not) = undo_outcome(plan, written, lang);
    let done = if done.is_empty() {
        w.nothing_put_back.to_string()
    } else {
        done.join(", ")
    };
    w.partly_restored
        .replace("{done}", &done)
        .replace("{not}", &not.join(", "))
}

/// `restore`: each key it puts back: its ARN, state, and the key policy's CloudTrail statement
/// (or its absence, and whatever else the checks found).
fn keys_to_put_back(out: &mut String, keys: &[runbook::steps::KeyState], w: &Words) {
    for k in keys {
        let arn = k.arn.as_deref().unwrap_or(&k.key);
        let state = crate::messages::key_state(&k.state, w.lang);
        let _ = writeln!(out, "{}: {arn} ({state})", w.key_to_put_back);
        if !k.trails.is_empty() {
            match &k.cloudtrail_statement {
                Some(st) => {
                    let _ = writeln!(out, "  {} {}: {st}", w.key_policy_for, k.trails.join(", "));
                }
                None => {
                    let _ = writeln!(out, "  {} {}", w.key_policy_none, k.trails.join(", "));
                }
            }
        }
        for problem in &k.problems {
            let _ = writeln!(out, "  ! {}", crate::messages::key_problem(problem, w.lang));
        }
    }
}

/// Why a trail that matched is left alone.
fn skip_reason(why: &SkipReason, w: &Words) -> String {
    match why {
        SkipReason::OrganizationTrail => w.org_trail.to_string(),
        SkipReason::OrganizationTrailNotIncluded => w.org_trail_not_included.to_string(),
        SkipReason::OtherAccount { account } => format!("{} {account}", w.other_account),
        SkipReason::HomeRegionNotSelected { home_region } => {
            format!("{} {home_region} {}", w.home_region, w.home_not_selected)
        }
    }
}

/// What the operator is asked to confirm: who acts, each write as before → after in words, what
/// will not be touched and why, then the opt-in warning and the question.
pub fn confirmation_prompt(
    p: &Plan,
    who: &RunStarted,
    left_alone: &[TrailTarget],
    lang: Lang,
) -> String {
    let w = words(lang);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} ({}; {} {})",
        w.acting_as,
        who.account,
        esc(&who.caller_arn),
        w.credentials_from,
        esc(&who.credentials.to_string())
    );
    let _ = writeln!(
        out,
        "\n{}:",
        w.prompt_changes.replace("{n}", &p.writes.len().to_string())
    );
    for (i, write) in p.writes.iter().enumerate() {
        let (was, now) = before_after_in(write, w);
        let (was, now) = (paint_value(&was, w), paint_value(&now, w));
        let _ = writeln!(
            out,
            "  {}. {}: {was} → {now}",
            i + 1,
            write_target(write, w)
        );
    }
    if !p.keys.is_empty() {
        out.push('\n');
        keys_to_put_back(&mut out, &p.keys, w);
    }
    if !left_alone.is_empty() || !p.missing_buckets.is_empty() || !p.warnings.is_empty() {
        let _ = writeln!(out, "\n{}:", w.prompt_untouched);
        for t in left_alone {
            if let Some(why) = &t.skip {
                let _ = writeln!(out, "  {}: {}", esc(&t.trail.arn), skip_reason(why, w));
            }
        }
        for missing in &p.missing_buckets {
            let _ = writeln!(out, "  {} {} {}", w.bucket, esc(missing), w.bucket_missing);
        }
        for warning in &p.warnings {
            let _ = writeln!(
                out,
                "  ! {}",
                esc(&crate::messages::Msg::PlanWarning(warning).text(w.lang))
            );
        }
    }
    let _ = write!(out, "\n{}\n{}", w.prompt_intro, w.prompt_question);
    out
}

/// A trail key or bucket rule in red when it is SSE-KMS, else green.
fn paint_value(text: &str, w: &Words) -> String {
    if text.starts_with(w.kms_key) || text.contains("aws:kms") {
        paint(RED, text)
    } else {
        paint(GREEN, text)
    }
}

/// `trail Members (home ap-northeast-1)`, `bucket NAME (REGION)`.
fn write_target(write: &PlannedWrite, w: &Words) -> String {
    match write {
        PlannedWrite::TrailKms {
            region, trail_arn, ..
        } => {
            let name = trail_arn
                .rsplit_once("trail/")
                .map_or(trail_arn.as_str(), |(_, n)| n);
            format!("{} {} ({} {region})", w.trail, esc(name), w.home)
        }
        PlannedWrite::SetBucketEncryption { region, bucket, .. } => {
            format!("{} {} ({region})", w.bucket.to_lowercase(), esc(bucket))
        }
    }
}

fn outcome(o: WriteOutcome, w: &Words) -> String {
    paint(
        GREEN,
        match o {
            WriteOutcome::Changed => w.changed,
            WriteOutcome::AlreadyDone => w.already,
            WriteOutcome::SettledApplied => w.settled,
        },
    )
}

pub fn report(r: &Report, lang: Lang) -> String {
    let w = words(lang);
    let mut out = String::new();
    let one_list = lang == Lang::En && r.verify.is_some() && !r.status.regions.is_empty();
    let _ = writeln!(
        out,
        "{} {} ({})",
        w.account,
        r.preflight.account,
        esc(&r.preflight.caller_arn)
    );
    match &r.undoes {
        Some(run) => {
            let _ = writeln!(out, "\n{}", w.undo_of.replace("{run}", run));
            let _ = writeln!(out, "{}", w.undo_now);
            for t in &r.plan.trails {
                let key = t.kms_key_id.as_deref().unwrap_or("-");
                let _ = writeln!(
                    out,
                    "  {} ({}): KmsKeyId {}",
                    esc(&t.arn),
                    t.home_region,
                    esc(key)
                );
            }
        }
        None => {
            // In English a revert that was verified shows each region once, before → after,
            // further down; the article's Japanese keeps both full lists.
            if !one_list {
                let heading = if r.runbook == Runbook::Status {
                    w.now
                } else {
                    w.before
                };
                let _ = writeln!(
                    out,
                    "\n{}",
                    heading.replace("{trail}", &esc(&r.status.trail))
                );
                regions(&mut out, &r.status.regions, w);
            } else {
                out.push('\n');
            }
            not_scanned(&mut out, &r.preflight, w);
        }
    }
    for b in &r.plan.buckets {
        bucket(&mut out, &b.current, w);
    }
    for missing in &r.plan.missing_buckets {
        let _ = writeln!(out, "{} {} {}", w.bucket, esc(missing), w.bucket_missing);
    }
    let skipped: Vec<_> = r
        .status
        .targets
        .iter()
        .filter(|t| t.skip.is_some())
        .collect();
    if !skipped.is_empty() {
        let _ = writeln!(out, "{}:", w.skipped);
        for t in skipped {
            let why = skip_reason(t.skip.as_ref().expect("filtered"), w);
            let _ = writeln!(out, "  {}: {why}", esc(&t.trail.arn));
        }
    }
    out.push('\n');
    let heading = if r.runbook == Runbook::Status {
        w.status_plan
    } else {
        w.plan
    };
    if r.runbook == Runbook::Restore && r.plan.writes.is_empty() {
        let _ = writeln!(out, "{}", w.nothing_to_restore);
        for warning in &r.plan.warnings {
            let _ = writeln!(
                out,
                "  ! {}",
                esc(&crate::messages::Msg::PlanWarning(warning).text(w.lang))
            );
        }
    } else {
        plan(&mut out, &r.plan, heading, w);
    }
    if r.dry_run {
        let _ = writeln!(out, "{}", w.dry_run);
    }
    let trails = r.trails.iter().flatten();
    let buckets = r.buckets.iter().flatten();
    if r.trails.is_some() || r.buckets.is_some() {
        let _ = writeln!(out, "\n{}:", w.results);
        for done in trails.chain(buckets) {
            let (was, now) = before_after_in(&done.write, w);
            let _ = writeln!(
                out,
                "  {} {} ({}): {} [{was} -> {now}]",
                done.write.op().operation,
                esc(done.write.target()),
                done.write.region(),
                outcome(done.outcome, w)
            );
        }
    }
    if let Some(v) = &r.verify {
        if one_list {
            let _ = writeln!(
                out,
                "\n{}",
                w.before_after.replace("{trail}", &esc(&r.status.trail))
            );
            regions_before_after(&mut out, &r.status.regions, &v.regions, w);
        } else {
            let _ = writeln!(
                out,
                "\n{}",
                w.after.replace("{trail}", &esc(&r.status.trail))
            );
            regions(&mut out, &v.regions, w);
        }
        for b in &v.buckets {
            bucket(&mut out, b, w);
        }
    }
    if let Some(keys) = &r.keys {
        out.push('\n');
        for k in &keys.keys {
            let state = crate::messages::Msg::KeyState {
                state: k.state.as_deref(),
                manager: k.manager.as_deref(),
            }
            .text(lang);
            let _ = writeln!(
                out,
                "{} {} ({}): {state}",
                w.keys,
                esc(k.arn.as_deref().unwrap_or(&k.key)),
                k.region
            );
            if k.config_channels.is_empty() {
                let _ = writeln!(out, "  {}", w.config_none);
            } else {
                let _ = writeln!(
                    out,
                    "  {}: {}",
                    w.config_uses,
                    esc(&k.config_channels.join(", "))
                );
            }
            for note in &k.notes {
                let note = crate::messages::Msg::KeyNote(note).text(lang);
                let _ = writeln!(out, "  ! {}", esc(&note));
            }
        }
        let _ = writeln!(out, "  {}", w.key_warning);
    }
    if r.runbook == Runbook::Restore && !r.dry_run && !r.plan.not_restored.is_empty() {
        let _ = writeln!(
            out,
            "\n{}",
            paint(RED, &partly_restored(&r.plan, r.verify.is_some(), lang))
        );
    } else if !r.dry_run && r.verify.is_some() {
        let done = match r.runbook {
            Runbook::Restore => w.restored,
            _ if r.plan.foreign_buckets.is_empty() => w.done,
            _ => w.done_trail_only,
        };
        let _ = writeln!(out, "\n{}", paint(GREEN, done));
    }
    out
}

/// Where the run's journal is, and the hash of its last line (for a change ticket: `audit
/// verify RUN_ID --expect-hash HASH` checks it later).
pub fn audit_footer(
    run_id: &str,
    path: &std::path::Path,
    final_hash: Option<&str>,
    lang: Lang,
) -> String {
    let w = words(lang);
    let mut out = format!(
        "{}: {} ({} {run_id})\n",
        w.audit,
        path.display(),
        w.footer_run
    );
    if let Some(hash) = final_hash {
        let _ = writeln!(out, "{}", final_hash_line(hash, lang));
    }
    out
}

pub fn final_hash_line(hash: &str, lang: Lang) -> String {
    format!("{}: {hash}", words(lang).final_hash)
}

/// A trail's SSE-KMS key, as a person reads it.
fn trail_key_text(key: &Option<String>, w: &Words) -> String {
    match key.as_deref() {
        Some(k) if !k.is_empty() => format!("{} {k}", w.kms_key),
        _ => w.none.into(),
    }
}

/// A bucket's default-encryption rules, as a person reads them: `aws:kms (key …)`, `AES256`.
fn rules_text(rules: &[runbook::model::EncryptionRule], w: &Words) -> String {
    if rules.is_empty() {
        return w.not_set.into();
    }
    rules
        .iter()
        .map(|r| match &r.kms_master_key_id {
            Some(k) => format!("{} ({} {k})", r.sse_algorithm, w.key),
            None => r.sse_algorithm.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a write finds and what it leaves, in `lang`.
pub fn before_after_lang(write: &PlannedWrite, lang: Lang) -> (String, String) {
    before_after_in(write, words(lang))
}

/// `run` in `lang`, before a run id.
pub fn run_word(lang: Lang) -> &'static str {
    words(lang).footer_run
}

fn before_after_in(write: &PlannedWrite, w: &Words) -> (String, String) {
    match write {
        PlannedWrite::TrailKms { before, after, .. } => {
            (trail_key_text(before, w), trail_key_text(after, w))
        }
        PlannedWrite::SetBucketEncryption { before, after, .. } => {
            (rules_text(before, w), rules_text(after, w))
        }
    }
}

#[cfg(test)]
mod tests {
    use runbook::model::{EncryptionRule, Trail};

    use super::*;

    const KEY: &str =
        "arn:aws:kms:ap-northeast-1:123456789012:key/27eacf56-0000-4000-8000-000000000001";
    const BUCKET: &str = "cm-members-cloudtrail-123456789012";

    fn who(runbook: Runbook) -> RunStarted {
        RunStarted {
            format: runbook::journal::FORMAT,
            tool_version: "0.0.0".into(),
            runbook,
            args: runbook::testkit::default_args(),
            account: "123456789012".into(),
            caller_arn: "arn:aws:iam::123456789012:user/operator".into(),
            credentials: "profile my-account".into(),
            batch: None,
        }
    }

    /// The secure account's revert plan: the trail's key off, the bucket to AES256; an
    /// organization trail of the management account left alone, and one warning.
    fn revert_plan() -> (Plan, Vec<TrailTarget>) {
        let kms = vec![EncryptionRule {
            sse_algorithm: "aws:kms".into(),
            kms_master_key_id: Some(KEY.into()),
            bucket_key_enabled: None,
            blocked_encryption_types: None,
        }];
        let s3 = vec![EncryptionRule {
            sse_algorithm: "AES256".into(),
            kms_master_key_id: None,
            bucket_key_enabled: None,
            blocked_encryption_types: None,
        }];
        let writes = vec![
            PlannedWrite::TrailKms {
                region: "ap-northeast-1".into(),
                trail_arn: "arn:aws:cloudtrail:ap-northeast-1:123456789012:trail/Members".into(),
                before: Some(KEY.into()),
                after: None,
            },
            PlannedWrite::SetBucketEncryption {
                region: "ap-northeast-1".into(),
                bucket: BUCKET.into(),
                before: kms,
                after: s3,
            },
        ];
        let plan = Plan {
            trails: vec![],
            buckets: vec![],
            missing_buckets: vec![],
            foreign_buckets: vec![],
            writes,
            warnings: vec![runbook::model::Warned::PolicyDeniesSseS3 {
                bucket: "cm-members-cloudtrail-123456789012".into(),
                sid: "DenyUnencryptedObjectUploads".into(),
            }
            .into()],
            keys: vec![],
            not_restored: vec![],
            already_restored: vec![],
        };
        let skipped = vec![TrailTarget {
            trail: Trail {
                name: "Members".into(),
                arn: "arn:aws:cloudtrail:us-east-1:999999999999:trail/Members".into(),
                home_region: "us-east-1".into(),
                multi_region: true,
                organization: true,
                kms_key_id: Some(KEY.into()),
                bucket: None,
            },
            seen_in: vec!["us-east-1".into()],
            skip: Some(SkipReason::OrganizationTrail),
        }];
        (plan, skipped)
    }

    #[test]
    fn the_prompt_shows_each_write_as_before_and_after_in_english_and_japanese() {
        let (plan, skipped) = revert_plan();
        for (lang, name) in [
            (Lang::En, "prompt-revert-en"),
            (Lang::Ja, "prompt-revert-ja"),
        ] {
            let text = confirmation_prompt(&plan, &who(Runbook::Revert), &skipped, lang);
            insta::assert_snapshot!(name, anstream::adapter::strip_str(&text).to_string());
        }
    }

    #[test]
    fn the_undo_prompt_shows_the_writes_the_other_way_round() {
        let (mut plan, _) = revert_plan();
        plan.writes = plan.writes.iter().map(PlannedWrite::reversed).collect();
        plan.warnings.clear();
        for (lang, name) in [
            (Lang::En, "prompt-restore-en"),
            (Lang::Ja, "prompt-restore-ja"),
        ] {
            let text = confirmation_prompt(&plan, &who(Runbook::Restore), &[], lang);
            insta::assert_snapshot!(name, anstream::adapter::strip_str(&text).to_string());
        }
    }
}
