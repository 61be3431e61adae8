//! The workspace's one integration-test binary.
//!
//! - `adversary`: review reproductions; each fails until its finding is fixed.
//! - `adversary_undo`: review reproductions for `undo` and the re-check; each fails until fixed.
//! - `adversary_batch`: review reproductions for batches over many accounts; each fails until fixed.
//! - `adversary_batch_ids`: review reproductions for issue 20 (batch run ids everywhere, the
//!   batch page); each fails until its finding is fixed.
//! - `adversary_files`: hostile paths and states (links, FIFOs, devices, folders, a state
//!   directory others can write to, renamed run folders, `--out` into the state directory, bad
//!   fixtures) against every command that reads or writes them; nothing may change.
//! - `batch`: many accounts against moto (AssumeRole per member, one question, resume BATCH_ID).
//! - `batch_inprocess`: batches in-process: a kill after a write reached AWS, Ctrl-C, credentials
//!   in the wrong account; two batch processes at once.
//! - `e2e`: the CLI against a real moto_server (started per test on a free port).
//! - `evidence`: `audit report`, the HTML evidence page: snapshots, escaping, headless Chromium.
//! - `hints`: the hint fits the refusal (an explicit deny is not a missing permission).
//! - `resume`: interruptions at every step boundary and mid-write, then resume.
//! - `installed`: the operator's binary run from no checkout: XDG state directory, `--replay` by
//!   path, its own name in what it prints, an unusable state directory refused first.
//! - `interrupt`: Ctrl-C (SIGINT) during a revert.
//! - `audit_log`: tamper detection, corrupt state, planted links.
//! - `japanese`: every error path an operator meets, under `LANG=ja_JP.UTF-8`, without English
//!   outside ids, ARNs, paths, codes, commands and what AWS said.
//! - `journal`: forged stories with intact hash chains, an edited state.json, final runs.
//! - `json_contract`: `--output json` of every command, success and failure, against the schema.
//! - `language`: the locale's precedence, Japanese errors, hints and audit views, local times.
//! - `lock`: one run at a time (many starters at once, SIGKILL, an operator's `flock`).
//! - `operator`: `-v`, the question before a revert (en, ja), colour, the help.
//! - `credentials`: the profile named is the one that signs; an unknown profile is refused.
//! - `resume_command`: the printed resume command runs as printed.
//! - `progress`: the live display on a terminal (a batch's, a single run's region bar) and
//!   its absence off a terminal, with `NO_COLOR`, `TERM=dumb` and `--output json`.
//! - `proxy`: an HTTP proxy in front of moto that records signers and can deny an operation.
//! - `terminal`: values from outside (AWS errors, Config names, folder names) shown escaped on a
//!   pseudo-terminal; only our own colours get through.
//! - `undo`: undo a revert (exactly, twice, refused keys, changed since) and the re-check.
//! - `organization`: organization trails seen from the management account (moto with an
//!   organization): refused without `--include-organization-trail`, reverted with it.
//! - `replay`: every recorded scenario, offline, with insta snapshots (a batch's too: `two-accounts`).
//! - `recording`: `fixtures record` through a role profile: no credential in the fixture or the
//!   audit log, the provider's AssumeRole sent to the endpoint given.

mod adversary;
mod adversary_batch;
mod adversary_batch_ids;
mod adversary_files;
mod adversary_undo;
mod audit_log;
mod batch;
mod batch_evidence;
mod batch_ids;
mod batch_inprocess;
mod credentials;
mod e2e;
mod evidence;
mod hints;
mod installed;
mod interrupt;
mod japanese;
mod journal;
mod json_contract;
mod language;
mod lock;
mod operator;
mod organization;
mod progress;
mod proxy;
mod recording;
mod replay;
mod resume;
mod resume_command;
mod support;
mod terminal;
mod undo;
