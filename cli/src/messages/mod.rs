//! The message catalogue: what the CLI says outside the reports, in English and Japanese. Each
//! message is a variant of `Msg`, and `en` and `ja` both match every variant, so a message
//! without its translation does not compile. Library errors are translated here too (their
//! English text is the library's own `Display`).

use std::path::Path;

use runbook::batch::AccountOutcome;
use runbook::finding::{Finding, Found};
use runbook::problem::Problem;
use runbook::steps::key_advice::{AdviceProblem, KeyNote};
use runbook::Error as E;

use crate::flags::Lang;

pub mod batch;
pub mod evidence;
pub mod terminal;
pub mod timeline;

pub enum Msg<'a> {
    /// A library error.
    Error(&'a E),
    /// `audit verify --expect-hash`: the log ends in another hash.
    HashMismatch {
        log: &'a Path,
        actual: &'a str,
        expected: &'a str,
    },
    /// `audit verify`: the log verifies but is incomplete.
    LogIncomplete {
        log: &'a Path,
        problems: &'a [runbook::journal::Incomplete],
    },
    /// `audit verify`: the chain, the sequence and the transitions hold.
    Verified {
        run_id: &'a str,
        events: usize,
        last_hash: &'a str,
    },
    /// `audit verify`: the run's final event, if any.
    EndedWith {
        end: Option<&'a str>,
    },
    /// `audit verify`: what the run left open.
    Open(&'a runbook::journal::Open),
    /// After a run that resume can finish.
    ResumeHint {
        command: &'a str,
    },
    ExpectedHashMatches,
    NoRuns {
        dir: &'a Path,
    },
    NoWrites,
    /// `audit list`'s column headings.
    ListHeadings,
    /// A run's status in `audit list`.
    RunStatus {
        status: &'a str,
        resumable: Option<bool>,
    },
    /// A write's outcome in `audit show --writes`.
    WriteOutcome {
        outcome: &'a str,
    },
    /// A replayed run or batch did not ask for every recorded exchange: `account` is `None` for
    /// a single run, `Some(None)` for a batch's caller, `Some(Some(id))` for an account.
    ReplayUnused {
        account: Option<Option<&'a str>>,
        count: usize,
        first: &'a runbook::http::exchange::RequestKey,
    },
    /// What a plan warns about.
    PlanWarning(&'a runbook::model::PlanWarning),
    /// What the key advice could not read.
    KeyNote(&'a runbook::steps::key_advice::KeyNote),
    /// A KMS key's state and manager (`Enabled, CUSTOMER`).
    KeyState {
        state: Option<&'a str>,
        manager: Option<&'a str>,
    },
}

/// What the program that was run adds to a library error: a command of its own to try.
fn hint(e: &E, lang: Lang) -> String {
    let in_checkout = matches!(
        crate::paths::program().home,
        crate::paths::Home::Checkout(_)
    );
    match (e, lang) {
        (E::Fixture { .. }, Lang::En) if in_checkout => {
            "; `cloudtrail-revert fixtures list` shows the scenarios".into()
        }
        (E::Fixture { .. }, Lang::Ja) if in_checkout => {
            "。シナリオの一覧は `cloudtrail-revert fixtures list` で表示します".into()
        }
        _ => String::new(),
    }
}

/// `` `cloudtrail-revert …` `` in `text` as the program that was run.
pub fn with_program(text: String) -> String {
    let program = crate::paths::program().name;
    if program == "cloudtrail-revert" {
        return text;
    }
    text.replace("`cloudtrail-revert ", &format!("`{program} "))
}

/// The label before a failed command's message: `error: …`.
pub fn error_label(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "error",
        Lang::Ja => "エラー",
    }
}

/// A command line the parser refused: its own text in English; in Japanese, our sentence with
/// the parser's first line quoted as its words.
pub fn usage_error(parser_text: &str, lang: Lang) -> String {
    match lang {
        Lang::En => parser_text.to_string(),
        Lang::Ja => format!(
            "エラー: コマンドラインの引数が正しくありません。`--help` で使い方を表示します。システムの応答: {}\n",
            parser_text
                .lines()
                .next()
                .unwrap_or_default()
                .trim_start_matches("error: ")
        ),
    }
}

/// Why `undo` does not take a key, in `lang`.
pub fn key_problem(problem: &runbook::error::KeyProblem, lang: Lang) -> String {
    use runbook::error::KeyProblem as P;
    if lang == Lang::En {
        return problem.to_string();
    }
    match problem {
        P::NotAKeyArn { arn } => format!("KMS はこのキーを {arn} と示しており、キーの ARN ではありません"),
        P::OtherPartition { partition, ours } => {
            format!("パーティション {partition} のキーで、このアカウントのパーティション ({ours}) ではありません")
        }
        P::OtherAccount { account, ours } => {
            format!("アカウント {account} のキーで、このアカウント ({ours}) のものではありません")
        }
        P::NoCloudTrailStatement { trail } => format!(
            "キーポリシーに、証跡 {trail} のために CloudTrail (cloudtrail.amazonaws.com) が使うことを許可する\
             ステートメント (条件 aws:SourceArn または kms:EncryptionContext:aws:cloudtrail:arn 付きの \
             kms:GenerateDataKey*) がありません"
        ),
        P::PolicyNotJson { detail } => format!("キーポリシーが JSON ではありません ({detail})"),
        P::PolicyUnreadable {
            action,
            code,
            message,
        } => {
            let message = if message.is_empty() {
                String::new()
            } else {
                format!(": {message}")
            };
            format!("キーポリシーを読み取れませんでした ({action}: {code}{message})")
        }
    }
}

impl Msg<'_> {
    /// The message in `lang`. A command it names (written `` `cloudtrail-revert …` `` here and
    /// in the library's errors) names the program the operator ran: `cargo xtask` in a checkout.
    pub fn text(&self, lang: Lang) -> String {
        let text = match lang {
            Lang::En => self.en(),
            Lang::Ja => self.ja(),
        };
        with_program(text)
    }

    fn en(&self) -> String {
        match self {
            Msg::Error(e) => runbook::aws::error_chain(*e) + &hint(e, Lang::En),
            Msg::HashMismatch {
                log,
                actual,
                expected,
            } => format!(
                "audit log {} ends in hash {actual}, not the expected {expected}: it is not the log \
                 that hash was taken from (rewritten, cut or replaced)",
                log.display()
            ),
            Msg::LogIncomplete { log, problems } => format!(
                "audit log {} is incomplete:\n  {}",
                log.display(),
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("\n  ")
            ),
            Msg::Verified {
                run_id,
                events,
                last_hash,
            } => format!(
                "run {run_id}: {events} events, hash chain, sequence and transitions intact, \
                 last hash {last_hash}"
            ),
            Msg::EndedWith { end: Some(end) } => format!("ended with {end}"),
            Msg::EndedWith { end: None } => "no final event".into(),
            Msg::Open(open) => format!("open: {open}"),
            Msg::ResumeHint { command } => {
                format!("The run did not finish. Continue it with:\n  {command}")
            }
            Msg::ExpectedHashMatches => "the log ends in the expected hash".into(),
            Msg::NoRuns { dir } => format!("no runs in {}", dir.display()),
            Msg::NoWrites => "no writes".into(),
            Msg::ListHeadings => [
                "RUN",
                "RUNBOOK",
                "ACCOUNT",
                "STATUS",
                "STARTED",
                "DURATION",
                "FINAL HASH",
            ]
            .join("\t"),
            Msg::RunStatus { status, resumable } => match (*status, resumable) {
                ("finished", _) | (_, None) => status.to_string(),
                (status, Some(true)) => format!("{status} (resumable)"),
                (status, Some(false)) => format!("{status} (final)"),
            },
            Msg::WriteOutcome { outcome } => match *outcome {
                "ok" => "ok".into(),
                "refused" => "refused by AWS".into(),
                "unknown" => "unknown (no answer)".into(),
                "applied" => "applied (settled from live state)".into(),
                "not_applied" => "not applied (settled from live state)".into(),
                other => other.to_string(),
            },
            Msg::ReplayUnused {
                account,
                count,
                first,
            } => format!(
                "replay{}: {count} recorded exchanges were not asked for, first: {first}",
                match account {
                    None => String::new(),
                    Some(None) => " (caller)".into(),
                    Some(Some(id)) => format!(" ({id})"),
                }
            ),
            Msg::PlanWarning(warning) => warning.to_string(),
            Msg::KeyNote(note) => match note {
                KeyNote::Typed(AdviceProblem::DescribeKeyDenied { explicit_deny: false }) => {
                    "could not describe the key (the caller needs kms:DescribeKey)".into()
                }
                KeyNote::Typed(AdviceProblem::DescribeKeyDenied { explicit_deny: true }) => {
                    "could not describe the key: an explicit deny refuses kms:DescribeKey (an \
                     Allow cannot override it)"
                        .into()
                }
                KeyNote::Typed(AdviceProblem::DescribeKeyFailed { code }) => {
                    format!("could not describe the key: {code}")
                }
                KeyNote::Typed(AdviceProblem::ConfigUnreadable { regions }) => format!(
                    "AWS Config delivery channels could not be read in {} (needs \
                     config:DescribeDeliveryChannels)",
                    regions.join(", ")
                ),
                KeyNote::Recorded(text) => text.clone(),
            },
            Msg::KeyState { state, manager } => format!(
                "{}, {}",
                state.unwrap_or("?"),
                match *manager {
                    Some("CUSTOMER") => "customer managed",
                    Some("AWS") => "AWS managed",
                    Some(other) => other,
                    None => "?",
                }
            ),
        }
    }

    fn ja(&self) -> String {
        match self {
            Msg::Error(e) => error_ja(e) + &hint(e, Lang::Ja),
            Msg::HashMismatch {
                log,
                actual,
                expected,
            } => format!(
                "監査ログ {} の最終ハッシュは {actual} で、期待された {expected} ではありません: \
                 そのハッシュを控えたときのログではありません (書き換え、切り詰め、差し替えのいずれか)",
                log.display()
            ),
            Msg::LogIncomplete { log, problems } => format!(
                "監査ログ {} は不完全です:\n  {}",
                log.display(),
                problems
                    .iter()
                    .map(|p| match p {
                        runbook::journal::Incomplete::NoFinalEvent => {
                            "実行の最後のイベントがありません: まだ実行中か、強制終了されました (再開すると確定します)"
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n  ")
            ),
            Msg::Verified {
                run_id,
                events,
                last_hash,
            } => format!(
                "実行 {run_id}: {events} 件のイベント、ハッシュの連鎖、連番、遷移はすべて正常です。最終ハッシュ {last_hash}"
            ),
            Msg::EndedWith { end: Some(end) } => format!("最後のイベント: {end}"),
            Msg::EndedWith { end: None } => "最後のイベントがありません".into(),
            Msg::Open(open) => match open {
                runbook::journal::Open::Step(step) => {
                    format!("未完了: ステップ `{step}` に結果がありません")
                }
                runbook::journal::Open::Write { line } => {
                    format!("未完了: {line} 行目の書き込みの結果が確定していません")
                }
            },
            Msg::ResumeHint { command } => {
                format!("実行は完了していません。次のコマンドで続きから再開できます:\n  {command}")
            }
            Msg::ExpectedHashMatches => "ログは期待されたハッシュで終わっています".into(),
            Msg::NoRuns { dir } => format!("{} に実行記録はありません", dir.display()),
            Msg::NoWrites => "書き込みはありません".into(),
            Msg::ListHeadings => [
                "実行ID",
                "ランブック",
                "アカウント",
                "状態",
                "開始",
                "所要時間",
                "最終ハッシュ",
            ]
            .join("\t"),
            Msg::RunStatus { status, resumable } => {
                let word = match *status {
                    "finished" => "完了",
                    "failed" => "失敗",
                    "interrupted" => "中断",
                    "running" => "実行中",
                    "unreadable" => "読み取り不可",
                    other => other,
                };
                match (*status, resumable) {
                    ("finished", _) | (_, None) => word.to_string(),
                    (_, Some(true)) => format!("{word} (再開可能)"),
                    (_, Some(false)) => format!("{word} (再開不可)"),
                }
            }
            Msg::WriteOutcome { outcome } => match *outcome {
                "ok" => "成功".into(),
                "refused" => "AWS が拒否".into(),
                "unknown" => "不明 (応答なし)".into(),
                "applied" => "適用済み (現在の状態で確認)".into(),
                "not_applied" => "未適用 (現在の状態で確認)".into(),
                other => other.to_string(),
            },
            Msg::ReplayUnused {
                account,
                count,
                first,
            } => format!(
                "再生{}: 記録された {count} 件のやり取りが使われませんでした。最初のもの: {} の {} {} `{}`",
                match account {
                    None => String::new(),
                    Some(None) => " (呼び出し元)".into(),
                    Some(Some(id)) => format!(" ({id})"),
                },
                first.region,
                first.service,
                first.operation,
                first.params
            ),
            Msg::PlanWarning(warning) => plan_warning_ja(warning),
            Msg::KeyNote(note) => match note {
                KeyNote::Typed(AdviceProblem::DescribeKeyDenied { explicit_deny: false }) => {
                    "キーの情報を取得できませんでした (呼び出し元に kms:DescribeKey が必要です)".into()
                }
                KeyNote::Typed(AdviceProblem::DescribeKeyDenied { explicit_deny: true }) => {
                    "キーの情報を取得できませんでした: 明示的な拒否が kms:DescribeKey を拒否しています \
                     (許可を追加しても上書きできません)"
                        .into()
                }
                KeyNote::Typed(AdviceProblem::DescribeKeyFailed { code }) => {
                    format!("キーの情報を取得できませんでした: {code}")
                }
                KeyNote::Typed(AdviceProblem::ConfigUnreadable { regions }) => format!(
                    "{} で AWS Config の配信チャネルを読めませんでした \
                     (config:DescribeDeliveryChannels が必要です)",
                    regions.join(", ")
                ),
                KeyNote::Recorded(text) => format!("(記録された英語の原文) {text}"),
            },
            Msg::KeyState { state, manager } => format!(
                "{}, {}",
                state.map_or("?", |s| key_state(s, Lang::Ja)),
                match *manager {
                    Some("CUSTOMER") => "カスタマー管理型キー",
                    Some("AWS") => "AWS 管理型キー",
                    Some(other) => other,
                    None => "?",
                }
            ),
        }
    }
}

/// What is wrong with a journal line, in Japanese. The fold's transition checks keep their
/// English sentence, labelled as such.
pub fn problem_ja(p: &Problem) -> String {
    match p {
        Problem::NotUtf8 => "UTF-8 のテキストではありません: 行が書き換えられています".into(),
        Problem::NotAnEventLine { detail } => {
            format!("イベントの行として読めません。システムの応答: {detail}")
        }
        Problem::Sequence { found, expected } => format!(
            "連番が {expected} のはずの位置に {found} があります (行が削除、追加、または移動されています)"
        ),
        Problem::ChainBroken => {
            "prev_hash が前の行のハッシュと一致しません (ハッシュの連鎖が切れています)".into()
        }
        Problem::OtherRun { found, log } => {
            format!("実行 ID {found} がこのログの実行 ID {log} と異なります")
        }
        Problem::HashMismatch => {
            "ハッシュがイベントの内容と一致しません (行が書き換えられています)".into()
        }
        Problem::NotCanonical => {
            "行がこのツールの書く正規の形ではありません (行が書き換えられています)".into()
        }
        Problem::Torn { bytes } => format!(
            "最後の行が途中で切れています (改行のない {bytes} バイトで、前の行に連鎖する完全なイベントでは\
             ありません): 書き込み中にプロセスが強制終了されました。この行は確定していません。`resume` が切り取ります"
        ),
        Problem::EventUnparsable { event, detail } => {
            format!("`{event}` イベントのデータを読めません。システムの応答: {detail}")
        }
        Problem::IllegalTransition(why) => {
            format!("この位置には記録できないイベントです (検査の詳細、英語: {why})")
        }
        Problem::Empty => "ログが空です: 実行は何かを記録する前に止められたため、何もしていません。\
                           そのフォルダを状態ディレクトリの外に移動してください"
            .into(),
        Problem::FolderRenamed { run_id, folder } => format!(
            "このジャーナルは実行 {run_id} のものですが、フォルダ名は {folder} です: 実行フォルダの名前が変更\
             またはコピーされています。元の名前 ({run_id}) に戻すか、状態ディレクトリの外に移動してください"
        ),
        Problem::OtherAccountsFolder { account, folder } => format!(
            "このジャーナルはアカウント {account} の実行ですが、アカウント {folder} のフォルダにあります: \
             実行フォルダが移動またはコピーされています。accounts/{account}/ に戻すか、状態ディレクトリの外に移動してください"
        ),
        Problem::LinesRemoved { log_lines, seen } => format!(
            "ログは {log_lines} 行目で終わっていますが、state.json は {seen} 行目まで見ています: 行が削除されています"
        ),
        Problem::Check(sentence) => format!("(検査の詳細、英語: {sentence})"),
    }
}

/// A runbook's name (`revert`) as the operator reads it.
pub fn runbook_word(name: &str, lang: Lang) -> &str {
    match (lang, name) {
        (Lang::Ja, "revert") => "切り戻し",
        (Lang::Ja, "status") => "状態確認",
        (Lang::Ja, "restore") => "取り消し",
        _ => name,
    }
}

/// A KMS key's state (`Enabled`) as the operator reads it.
pub fn key_state(state: &str, lang: Lang) -> &str {
    match (lang, state) {
        (Lang::Ja, "Enabled") => "有効",
        (Lang::Ja, "Disabled") => "無効",
        (Lang::Ja, "PendingDeletion") => "削除待ち",
        (Lang::Ja, "PendingImport") => "インポート待ち",
        (Lang::Ja, "Unavailable") => "利用不可",
        _ => state,
    }
}

/// A plan's warning in Japanese.
fn plan_warning_ja(warning: &runbook::model::PlanWarning) -> String {
    use runbook::model::{PlanWarning, Warned};
    match warning {
        PlanWarning::Typed(Warned::ForeignBucket { bucket, account }) => {
            error_ja(&E::ForeignBucket {
                bucket: bucket.clone(),
                account: account.clone(),
            })
        }
        PlanWarning::Typed(Warned::PolicyDeniesSseS3 { bucket, sid }) => format!(
            "バケット {bucket} のバケットポリシーのステートメント {sid} は SSE-KMS なしの s3:PutObject を拒否します: \
             切り戻し後、CloudTrail の SSE-S3 でのログ配信が拒否されます。切り戻しの前 (または直後) にそのステートメントを変更してください"
        ),
        PlanWarning::Typed(Warned::PolicyUnreadable { bucket, code: None }) => format!(
            "バケット {bucket} のバケットポリシーを読めませんでした (s3:GetBucketPolicy が必要です): \
             SSE-KMS でのアップロードを必須にしていないか、ご自身で確認してください"
        ),
        PlanWarning::Typed(Warned::PolicyUnreadable {
            bucket,
            code: Some(code),
        }) => format!(
            "バケット {bucket} のバケットポリシーを読めませんでした ({code}): ご自身で確認してください"
        ),
        PlanWarning::Typed(Warned::Gone { target }) => {
            format!("{target} はもう存在しないため、戻すものはありません")
        }
        PlanWarning::Typed(Warned::ChangedSince { target, now, force }) => format!(
            "{target} は切り戻しの後に変更されています (現在 {now})。{}",
            if *force {
                "--force のため、それでも戻します"
            } else {
                "変更しません (それでも戻すには --force を付けます)"
            }
        ),
        PlanWarning::Recorded(text) => format!("(記録された英語の原文) {text}"),
    }
}

/// What is wrong with a path, in Japanese.
fn path_problem_ja(p: &runbook::error::PathProblem) -> String {
    use runbook::error::PathProblem as P;
    match p {
        P::Symlink => "シンボリックリンクです".into(),
        P::NotAFolder => "フォルダではありません".into(),
        P::NotRegular => "通常のファイルではありません".into(),
        P::Folder => "フォルダです".into(),
        P::Special => "通常のファイルではありません (FIFO、ソケット、またはデバイス)".into(),
        P::OtherOwner { uid, me } => {
            format!("ユーザー ID {uid} のもので、あなた ({me}) のものではありません")
        }
        P::HardLinked { names } => {
            format!("名前が {names} 個あります (別の場所にハードリンクがあります)")
        }
        P::NamesNoFile => "ファイルを指していません".into(),
        P::InStateDir { state_dir } => format!(
            "状態ディレクトリ {} の中にあります (その中のファイルは実行自身のもので、ツールだけが書きます。\
             --out を付けなければ、レポートは実行のフォルダに書かれます)",
            state_dir.display()
        ),
    }
}

/// Why a run cannot be undone or compared with, in Japanese.
fn unfit_ja(why: &runbook::error::RunUnfit) -> String {
    use runbook::error::RunUnfit as U;
    match why {
        U::NotNamed => "取り消す実行が指定されていません".into(),
        U::ThisRun => "この実行そのものです".into(),
        U::NotARevert { runbook, dry_run } => format!(
            "`{runbook}` の実行{}で、アカウントを変更した切り戻しではありません",
            if *dry_run { " (ドライラン)" } else { "" }
        ),
        U::StillResumable { run_id } => format!(
            "完了しておらず、まだ再開できます。先に完了させてから (`cloudtrail-revert resume {run_id}`) 取り消してください"
        ),
        U::Unfinished => "完了していません。先に再開して完了させてください".into(),
        U::NoWrite => "書き込みをしていません".into(),
    }
}

/// Findings in Japanese, `; ` between them, each after its account in a batch.
fn found_ja(found: &[Found]) -> String {
    found
        .iter()
        .map(|f| {
            let account = f
                .account
                .as_ref()
                .map(|a| format!("{a}: "))
                .unwrap_or_default();
            let since = f
                .since
                .as_ref()
                .map(|run| format!(" (実行 {run} 以降)"))
                .unwrap_or_default();
            format!("{account}{}{since}", finding_ja(&f.finding))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn finding_ja(f: &Finding) -> String {
    let wheres =
        |regions: &[String]| format!("{} リージョン ({})", regions.len(), regions.join(", "));
    match f {
        Finding::TrailUsesKey { trail_arn, key } => {
            format!("証跡 {trail_arn} が KMS キー {key} を使っています")
        }
        Finding::BucketSseKms { bucket, algorithms } => {
            format!("バケット {bucket} のデフォルト暗号化は {algorithms} です")
        }
        Finding::TrailGone { trail_arn } => format!("証跡 {trail_arn} が見つからなくなりました"),
        Finding::TrailKeyAgain { trail, key } => {
            format!("証跡 {trail} が再び SSE-KMS になっています (キー {key})")
        }
        Finding::TrailKeyGone { trail } => format!("証跡 {trail} の KMS キーがなくなりました"),
        Finding::BucketNotChecked { bucket } => format!(
            "バケット {bucket} は確認していません (この実行の証跡はもうこのバケットに配信していません)"
        ),
        Finding::BucketSseKmsAgain { bucket, algorithms } => {
            format!("バケット {bucket} が再び {algorithms} になっています")
        }
        Finding::BucketRulesChanged { bucket, algorithms } => {
            format!("バケット {bucket} のデフォルト暗号化が変わりました (現在 {algorithms})")
        }
        Finding::TrailStillKms {
            trail_arn,
            key,
            regions,
        } => format!(
            "証跡 {trail_arn} は {} でまだ KMS キー {key} を使っています",
            wheres(regions)
        ),
        Finding::TrailNotExpected {
            trail_arn,
            shown,
            expected,
            regions,
        } => format!(
            "証跡 {trail_arn} は {} で {} を示しています (期待した KMS キーは {expected})",
            wheres(regions),
            shown
                .as_deref()
                .map_or("KMS キーなし".to_string(), |k| format!("KMS キー {k}"))
        ),
        Finding::TrailDisagrees { trail_arn, regions } => {
            format!("証跡 {trail_arn} の状態が {} で一致しません", wheres(regions))
        }
        Finding::BucketStillSseKms { bucket } => format!("バケット {bucket} はまだ SSE-KMS です"),
        Finding::BucketNotExpected { bucket } => {
            format!("バケット {bucket} のデフォルト暗号化が期待したルールではありません")
        }
        Finding::CompareFailed { message } => message.clone(),
    }
}

/// Every library error in Japanese. Details that come from AWS or the system (their messages,
/// paths, ARNs) stay as they are.
fn error_ja(e: &E) -> String {
    match e {
        E::CredentialsThrottled { detail } => format!(
            "AWS がリクエストを制限 (スロットリング) したため、認証情報を更新できませんでした ({detail})。\
             認証情報やサインインに問題はありません: 少し待ってから再開してください"
        ),
        E::NoCredentials { detail } => format!(
            "AWS の認証情報が見つかりません。システムの応答: {}\n`aws configure`、`aws sso login --profile 名前` と \
             `--profile 名前`、または環境変数 AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY で指定してください \
             (--profile は ~/.aws/config か ~/.aws/credentials にあるものに限ります)",
            // The SDK's text on one line: all of it is the system's own words.
            detail.lines().map(str::trim).collect::<Vec<_>>().join(" / ")
        ),
        E::UnknownProfile {
            profile,
            config_file,
            credentials_file,
        } => format!(
            "AWS プロファイル `{profile}` は存在しません ({config_file} にも {credentials_file} にもありません)。\
             名前を確認するか (`aws configure list-profiles`)、`aws configure --profile {profile}` で作成してください"
        ),
        E::ProfileFilesUnreadable { source } => format!(
            "AWS のプロファイルファイルを読めません: {}。修正するか移動してください \
             (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE)",
            runbook::aws::error_chain(source.as_ref())
        ),
        E::AccessDenied {
            operation,
            action,
            region,
            code,
            message,
            explicit_deny,
        } => format!(
            "アクセスが拒否されました: {region} の {operation} が拒否されました ({code})。{}{}",
            if *explicit_deny {
                format!(
                    "明示的な拒否 (サービスコントロールポリシー、アクセス許可の境界、ID ベースまたは\
                     リソースベースのポリシー) が IAM アクション `{action}` を拒否しています。許可を\
                     追加しても上書きできません。そのポリシーの管理者に、この呼び出し元への拒否を外すよう\
                     依頼してから再実行してください"
                )
            } else {
                format!(
                    "呼び出し元に IAM アクション `{action}` が必要です。権限を付与して再実行してください"
                )
            },
            message
                .as_deref()
                .map(|m| format!("\n  AWS の応答: {m}"))
                .unwrap_or_default()
        ),
        E::Unreachable {
            service,
            operation,
            region,
            detail,
        } => format!(
            "AWS に接続できません ({region} の {service} {operation}): {detail}\n\
             ネットワーク接続、または指定した --endpoint-url を確認してください"
        ),
        E::Aws {
            service,
            operation,
            region,
            code,
            message,
        } => format!("{region} の {service} {operation} が失敗しました: {code}: {message}"),
        E::UnknownRegion {
            region,
            flag,
            count,
            enabled,
        } => format!(
            "{flag} のリージョン `{region}` はこのアカウントで有効ではありません。有効な {count} リージョン: {enabled}"
        ),
        E::NoRegionSelected => {
            "確認するリージョンが残っていません: 有効なリージョンがすべて除外されました。--regions と \
             --exclude-region を確認してください"
                .into()
        }
        E::TrailNotFound {
            trail,
            count,
            regions,
        } => format!(
            "証跡 `{trail}` が {count} リージョン ({regions}) のどこにも見つかりません。--trail (名前か証跡の ARN) を確認してください"
        ),
        E::AmbiguousTrail { name, arns } => format!(
            "`{name}` という名前の証跡が {} 個あります: {}。変更する証跡を ARN で指定してください: --trail ARN (複数指定可)",
            arns.len(),
            arns.join(", ")
        ),
        E::TrailWithoutBucket { trail } => format!(
            "証跡 `{trail}` に S3 バケットが設定されていません。CloudTrail はログを配信できないため、コンソールで証跡を確認してください"
        ),
        E::BucketNotFound { bucket } => format!(
            "バケット `{bucket}` (証跡のログバケット) が存在しないか、このアカウントから見えません"
        ),
        E::TrailBucketMissing { bucket } => format!(
            "CloudTrail は `{bucket}` にログを配信できません: 証跡のバケットが存在しません。先に証跡のバケットを\
             修正し (バケットを作り直すか、既存のバケットを指定する)、新しく実行してください。何も変更していません"
        ),
        E::NotConfirmed => {
            "確認が得られなかったため、何も変更していません。再実行して `y` と答えるか、--yes を付けてください"
                .into()
        }
        E::ConfirmationUnavailable => {
            "確認なしには変更しません: 標準入力が端末ではありません。セキュア設定のオプトインが無効であることを \
             --yes で確認するか、--dry-run で確認だけを行ってください"
                .into()
        }
        E::VerifyFailed(found) => {
            format!("切り戻し後の検証に失敗しました: {}", found_ja(found))
        }
        E::StillSseKms(found) => format!(
            "まだ SSE-KMS です: {}。メンバーズポータルでセキュア設定のオプトインを無効にしてから、もう一度切り戻してください",
            found_ja(found)
        ),
        E::Drifted { since, found } => format!(
            "実行 {since} の後に変わった箇所: {}。セキュア設定が戻った場合は、メンバーズポータルでセキュア設定の\
             オプトインを無効にしてから、もう一度切り戻してください",
            found_ja(found)
        ),
        E::RecheckNeedsStatus => {
            "--check と --since は `run status` とともに使います (再確認のみで、書き込みはしません)".into()
        }
        E::NothingToUndo { run_id, why } => {
            format!("実行 {run_id} は取り消せません: {}", unfit_ja(why))
        }
        E::KeyUnusable { key, state } => format!(
            "KMS キー {key} は {} のため、元に戻せません。何も変更していません。KMS コンソールでキーを\
             確認してください。取り消しで戻せるのは、存在して有効なキーだけです",
            match state.as_str() {
                "deleted (it does not exist any more)" => "削除済み (もう存在しません)",
                other => key_state(other, Lang::Ja),
            }
        ),
        E::PartialUndo {
            undoes,
            restored,
            not_restored,
        } => format!(
            "実行 {undoes} の取り消しは、その実行が変更したものの一部だけを戻しました。戻したもの: {}。\
             戻していないもの: {}",
            if restored.is_empty() {
                "なし".to_string()
            } else {
                restored.join(", ")
            },
            not_restored.join(", ")
        ),
        E::KeyUnverified { key, problems } => format!(
            "KMS キー {key} がこの証跡のキーであることを確認できません: {}。何も変更していません。\
             キーとキーポリシー (`aws kms get-key-policy --key-id {key} --policy-name default`) を\
             確認してください。それでも戻す場合は --force を付けて取り消しをやり直してください",
            problems
                .iter()
                .map(|p| key_problem(p, Lang::Ja))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        E::NoEndState { run_id, why } => format!(
            "実行 {run_id} には比較する終了時の状態がありません: {}",
            unfit_ja(why)
        ),
        E::OrganizationTrailNotIncluded { arns } => format!(
            "{} はこのアカウント (組織の管理アカウント) の組織の証跡です。切り戻すと、このアカウントだけでなく\
             組織のすべてのメンバーアカウントのログファイルが変わります。何も変更していません。それが意図どおりなら \
             --include-organization-trail を付けて再実行してください。変更しない場合は --trail で他の証跡を指定してください",
            arns.join(", ")
        ),
        E::ForeignBucket { bucket, account } => format!(
            "バケット {bucket} は別のアカウントのものです。そのデフォルト暗号化を変更できるのはそのアカウントです \
             (このアカウント {account} を所有者とするリクエストを S3 が拒否し、このアカウントのバケット一覧にもありません)"
        ),
        E::KeyPendingDeletion { key } => format!(
            "KMS キー {key} は削除予定のため、再び使うことはできません。何も変更していません。\
             先に削除を取り消し (`aws kms cancel-key-deletion --key-id {key}` のあと \
             `aws kms enable-key --key-id {key}`)、もう一度取り消しを実行してください"
        ),
        E::KeyDisabled { key } => format!(
            "KMS キー {key} は無効化されているため、再び使うことはできません。何も変更していません。\
             先に有効にして (`aws kms enable-key --key-id {key}`)、もう一度取り消しを実行してください"
        ),
        E::Interrupted { run_id } => format!("実行 {run_id} は中断されました"),
        E::Locked { path, holder } => format!(
            "別のプロセスが実行ロック {} を保持しています: {}。この状態ディレクトリを使える実行は同時に 1 つだけです。\
             その実行の終了を待ってください (プロセスが終わるとロックはすぐに解放されます)",
            path.display(),
            holder.as_deref().unwrap_or(
                "ロックファイルには保持者が書かれていません (開始直後の実行か、運用者の `flock`)"
            )
        ),
        E::NoSuchRun { run_id, dir } => format!(
            "{} に実行 `{run_id}` はありません。`cloudtrail-revert audit list` を参照してください",
            dir.display()
        ),
        E::NothingToResume { dir } => format!(
            "{} に再開できる未完了の実行はありません。`cloudtrail-revert audit list` を参照してください",
            dir.display()
        ),
        E::AlreadyFinished { run_id } => format!(
            "実行 {run_id} は完了済みのため、再開するものはありません。新しく実行してください"
        ),
        E::NotResumable { run_id, error } => format!(
            "実行 {run_id} は再開できません: 再開しても変わらない理由で失敗しています ({error})。新しく実行してください"
        ),
        E::PlanStale {
            target,
            planned,
            live,
        } => format!(
            "{target} は計画の作成後に変更されました (計画時 {planned}、現在 {live})。これには何も送信していません。\
             新しく実行して状態を確認し、計画を作り直してください"
        ),
        E::NotSentBeside { step, beside } => format!(
            "ステップ {step} はこれ以上何も送信していません: 並行して動いていたステップ {beside} が先に止まりました \
             (理由はそのエラーを参照)。それを直してから実行を再開してください"
        ),
        E::AccountMismatch {
            run_id,
            recorded,
            current,
            purpose,
        } => format!(
            "実行 {run_id} はアカウント {recorded} のものですが、現在の認証情報はアカウント {current} のものです。{}",
            match purpose {
                runbook::error::RunPurpose::Resume =>
                    format!("再開するには {recorded} の認証情報を使ってください"),
                runbook::error::RunPurpose::Undo => format!(
                    "取り消しはその実行が変更したアカウントで行います: {recorded} の認証情報で取り消してください"
                ),
                runbook::error::RunPurpose::Compare =>
                    format!("比較するには {recorded} の認証情報を使ってください"),
            }
        ),
        E::AuditCorrupt {
            path,
            line,
            problem,
        } => format!(
            "監査ログ {} の {line} 行目: {}",
            path.display(),
            problem_ja(problem)
        ),
        E::StateCorrupt { path, problem } => format!(
            "実行状態 {} が壊れています: {problem}。実行の記録はその隣の監査ログです (`cloudtrail-revert audit verify`)",
            path.display()
        ),
        E::StateMismatch { path, field } => format!(
            "実行状態 {} が隣の監査ログと `{field}` で食い違っています。記録はログで、状態ファイルはそのキャッシュに\
             すぎないため、何もしていません。誰が編集したか確認してください (`cloudtrail-revert audit verify` でログを表示します)",
            path.display()
        ),
        E::JournalFormat {
            path,
            format,
            tool_version,
            reads,
        } => format!(
            "監査ログ {} はツールバージョン {tool_version} がジャーナル形式 {format} で書いたものです。このツール ({}) は\
             形式 {reads} を読みます。その実行の確認や再開にはツールバージョン {tool_version} を使ってください",
            path.display(),
            env!("CARGO_PKG_VERSION")
        ),
        E::IllegalEvent { problem } => format!(
            "内部エラー: 今は記録できないイベントを記録しようとしました ({problem})。これについては何も書き込んでいません。\
             ご報告ください。実行は再開できます"
        ),
        E::UnsafePath { path, problem } => format!(
            "{} は使えません: {}。実行ファイルはこのユーザー自身の通常のファイルとフォルダだけです。移動してから再実行してください",
            path.display(),
            path_problem_ja(problem)
        ),
        E::UnsafeOutput { path, problem } => format!(
            "{} には書き込みません: {}。--out に別のファイルを指定してください",
            path.display(),
            path_problem_ja(problem)
        ),
        E::UnsafeStateDir { path, mode } => format!(
            "{} は使えません: 他のユーザーがこのフォルダに書き込めます (モード {mode:o})。実行を置いたり、名前を変えたり、\
             置き換えたりできてしまいます。自分だけのものにしてください: chmod 700 {}",
            path.display(),
            path.display()
        ),
        E::OutputExists { path } => format!(
            "{} はすでにあります。置き換えるには --force を付けてください (モードはそのまま残ります)。または別のファイルを指定してください",
            path.display()
        ),
        E::Fixture { path, problem } => format!("フィクスチャ {}: {problem}", path.display()),
        E::ReplayNeedsPath { name } => format!(
            "--replay {name}: 名前で指定できるのは、ツールのチェックアウトの fixtures/ にある\
             記録済みシナリオだけです。ここではシナリオのフォルダーをパスで指定してください (例: --replay ./{name})"
        ),
        E::NoStateDir => "状態ディレクトリがありません: XDG_STATE_HOME も HOME も絶対パスに設定されていません。\
             --state-dir DIR (または RUNBOOK_STATE_DIR) を指定してください"
            .to_string(),
        E::StateDirUnusable { path, source } => format!(
            "状態ディレクトリ {} を作成できません (システムの応答: {source})。書き込めるフォルダーを \
             --state-dir DIR (または RUNBOOK_STATE_DIR) で指定してください",
            path.display()
        ),
        E::WrongAccount {
            expected,
            actual,
            caller_arn,
        } => format!(
            "アカウント {expected} 用の認証情報がアカウント {actual} ({caller_arn}) で動作しています。\
             何も実行していません。アカウント ID とロールを確認してください"
        ),
        E::AssumeRoleFailed {
            account,
            role_arn,
            caller_arn,
            detail,
        } => format!(
            "アカウント {account} に到達できません: {role_arn} の AssumeRole が失敗しました。\n\
             そのアカウントにロールが存在し、{caller_arn} を信頼している必要があります \
             (`cloudtrail-revert iam-policy --member-role` を参照)。停止・閉鎖されたアカウントには到達できません\n  \
             AWS の応答: {detail}"
        ),
        E::AssumeRoleThrottled {
            account,
            role_arn,
            detail,
        } => format!(
            "アカウント {account} の {role_arn} の AssumeRole が STS にスロットリングされました。\
             そのアカウントでは何も実行していません。時間をおいてバッチを再開するか、--max-concurrent-accounts を下げてください\n  \
             AWS の応答: {detail}"
        ),
        E::OrganizationsNotInUse => {
            "呼び出し元のアカウントは組織に属していません (Organizations: AWSOrganizationsNotInUseException)。\
             --organization で一覧にするアカウントがありません。--accounts か --accounts-file でアカウントを指定してください"
                .into()
        }
        E::FlagNotHonoured { flag, resume } => {
            if *resume {
                format!("{flag} はバッチの再開 (`resume batch-…`) 用で、実行の再開には使えません。何も実行していません")
            } else {
                format!("{flag} はバッチ (--accounts、--accounts-file、--organization) 用で、単一の実行には使えません。何も実行していません")
            }
        }
        E::BatchAccountsDone {
            batch_id,
            named,
            pending,
        } => format!(
            "バッチ {batch_id} の {} に再開するものはありません: 完了しています。まだ完了していないアカウント: {} \
             (`cloudtrail-revert resume {batch_id}` で再開するか、--accounts で指定してください)",
            named.join(", "),
            pending.join(", ")
        ),
        E::BatchInterrupted { batch_id } => format!("バッチ {batch_id} は中断されました"),
        E::BadAccountId { value, origin } => format!(
            "`{value}` ({origin}) は AWS アカウント ID ではありません: アカウント ID は 12 桁の数字です"
        ),
        E::AccountsFileUnreadable { path, source } => format!(
            "アカウント一覧ファイル {} を読めません: {source}",
            path.display()
        ),
        E::NoAccounts { why } => format!(
            "実行するアカウントがありません: {}",
            match why {
                runbook::error::NoAccountsWhy::Empty => {
                    "一覧が空です (アカウント ID のないアカウント一覧ファイルか、ACTIVE なアカウントのない組織)"
                        .to_string()
                }
                runbook::error::NoAccountsWhy::AllExcluded { excluded } => format!(
                    "一覧のアカウントはすべて除外されています ({})",
                    excluded.join(", ")
                ),
                runbook::error::NoAccountsWhy::NotInBatch { account, batch_id } => {
                    format!("{account} はバッチ {batch_id} のアカウントではありません")
                }
            }
        ),
        E::TooManyAccounts { count, max } => format!(
            "{count} アカウントは 1 つのバッチで実行できる数 (最大 {max}) を超えています。何も実行していません。\
             複数のアカウント一覧ファイルに分けて、それぞれでバッチを実行してください"
        ),
        E::NoSuchBatch { batch_id, dir } => format!(
            "{} にバッチ `{batch_id}` はありません。`cloudtrail-revert audit list` を参照してください",
            dir.display()
        ),
        E::BatchFinished { batch_id } => format!(
            "バッチ {batch_id} に再開するものはありません: すべてのアカウントが完了したか、再開しても変わらない理由で終了しています \
             (`cloudtrail-revert audit show {batch_id}` を参照)"
        ),
        E::ExternalIdNeeded { batch_id } => format!(
            "バッチ {batch_id} は --external-id 付きで開始されました。再開するにはもう一度指定してください (記録されていません)"
        ),
        E::BatchIncomplete {
            batch_id,
            failed,
            total,
            which,
        } => format!(
            "バッチ {batch_id}: {total} アカウントのうち {failed} アカウントが完了していません ({})。\
             バッチを再開して完了させてください",
            outcomes_ja(which)
        ),
        E::BatchFailedFinally {
            batch_id,
            failed,
            total,
            which,
        } => format!(
            "バッチ {batch_id}: {total} アカウントのうち {failed} アカウントが再開しても変わらない理由で失敗しました ({})。\
             各アカウントのエラーを確認して原因を直し、それらのアカウントで新しいバッチを実行してください",
            outcomes_ja(which)
        ),
        E::Io { path, source } => format!("{}: {source}", path.display()),
    }
}

/// A batch account's outcome (`done`, `unreachable`, …) as the operator reads it.
pub fn outcome_text(outcome: AccountOutcome, lang: Lang) -> String {
    match lang {
        Lang::En => outcome.name(),
        Lang::Ja => match outcome {
            AccountOutcome::Done => "完了",
            AccountOutcome::Failed => "失敗 (再開可)",
            AccountOutcome::Final => "失敗",
            AccountOutcome::Declined => "確認されず",
            AccountOutcome::Unreachable => "到達不可",
            AccountOutcome::Interrupted => "中断",
            AccountOutcome::NotStarted => "未開始",
            AccountOutcome::NotRun => "未実行",
        },
    }
    .to_string()
}

fn outcomes_ja(which: &[(String, String)]) -> String {
    let mut text = which
        .iter()
        .take(runbook::error::ACCOUNTS_SHOWN)
        // The error carries the outcome's name (`error` sits below `batch`, so it cannot hold
        // the type); every name it carries is an `AccountOutcome`'s.
        .map(|(account, outcome)| match AccountOutcome::named(outcome) {
            Some(o) => format!("{account}: {}", outcome_text(o, Lang::Ja)),
            None => format!("{account}: {outcome}"),
        })
        .collect::<Vec<_>>()
        .join("、");
    if which.len() > runbook::error::ACCOUNTS_SHOWN {
        text.push_str(&format!(
            "、ほか {} アカウント",
            which.len() - runbook::error::ACCOUNTS_SHOWN
        ));
    }
    text
}

/// The language: `--lang`, else the locale of messages as POSIX orders it: `LC_ALL`, then
/// `LC_MESSAGES`, then `LANG`, an empty variable counting as unset. Japanese for `ja…`.
pub fn resolve_lang(flag: Option<Lang>) -> Lang {
    flag.unwrap_or_else(|| lang_from(|name| std::env::var(name).ok()))
}

fn lang_from(var: impl Fn(&str) -> Option<String>) -> Lang {
    let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .into_iter()
        .filter_map(&var)
        .find(|value| !value.is_empty())
        .unwrap_or_default();
    if locale.starts_with("ja") {
        Lang::Ja
    } else {
        Lang::En
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> Lang {
        lang_from(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn locale_precedence() {
        assert_eq!(with(&[]), Lang::En);
        assert_eq!(with(&[("LANG", "ja_JP.UTF-8")]), Lang::Ja);
        // An empty LC_ALL is unset: LANG decides.
        assert_eq!(with(&[("LC_ALL", ""), ("LANG", "ja_JP.UTF-8")]), Lang::Ja);
        assert_eq!(with(&[("LC_ALL", "C"), ("LANG", "ja_JP.UTF-8")]), Lang::En);
        assert_eq!(with(&[("LC_ALL", "ja_JP.UTF-8"), ("LANG", "C")]), Lang::Ja);
        assert_eq!(
            with(&[("LC_MESSAGES", "ja_JP.UTF-8"), ("LANG", "en_US.UTF-8")]),
            Lang::Ja
        );
        assert_eq!(
            with(&[
                ("LC_ALL", ""),
                ("LC_MESSAGES", "C"),
                ("LANG", "ja_JP.UTF-8")
            ]),
            Lang::En
        );
        assert_eq!(
            with(&[("LC_ALL", ""), ("LC_MESSAGES", ""), ("LANG", "ja_JP.UTF-8")]),
            Lang::Ja
        );
    }
}
