//! The message catalogue: what the CLI says outside the reports, in English and Japanese. Each
//! message is a variant of `Msg`, and `en` and `ja` both match every variant, so a message
//! without its translation does not compile. Library errors are translated here too (their
//! English text is the library's own `Display`).

use std::path::Path;

use runbook::Error as E;

use crate::flags::Lang;

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
        problems: &'a [String],
    },
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
    /// A KMS key's state and manager (`Enabled, CUSTOMER`).
    KeyState {
        state: Option<&'a str>,
        manager: Option<&'a str>,
    },
}

impl Msg<'_> {
    pub fn text(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.en(),
            Lang::Ja => self.ja(),
        }
    }

    fn en(&self) -> String {
        match self {
            Msg::Error(e) => runbook::aws::error_chain(*e),
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
                problems.join("\n  ")
            ),
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
            Msg::Error(e) => error_ja(e),
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
                problems.join("\n  ")
            ),
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
            Msg::KeyState { state, manager } => format!(
                "{}, {}",
                match *state {
                    Some("Enabled") => "有効",
                    Some("Disabled") => "無効",
                    Some("PendingDeletion") => "削除待ち",
                    Some(other) => other,
                    None => "?",
                },
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

/// Every library error in Japanese. Details that come from AWS or the system (their messages,
/// paths, ARNs) stay as they are.
fn error_ja(e: &E) -> String {
    match e {
        E::NoCredentials { detail } => format!(
            "AWS の認証情報が見つかりません: {detail}\n`aws configure`、`aws sso login --profile 名前` と \
             `--profile 名前`、または環境変数 AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY で指定してください \
             (--profile は ~/.aws/config か ~/.aws/credentials にあるものに限ります)"
        ),
        E::UnknownProfile {
            profile,
            config_file,
            credentials_file,
        } => format!(
            "AWS プロファイル `{profile}` は存在しません ({config_file} にも {credentials_file} にもありません)。\
             名前を確認するか (`aws configure list-profiles`)、`aws configure --profile {profile}` で作成してください"
        ),
        E::ProfileFilesUnreadable { detail } => format!(
            "AWS のプロファイルファイルを読めません: {detail}。修正するか移動してください \
             (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE)"
        ),
        E::AccessDenied {
            operation,
            action,
            region,
            code,
            message,
        } => format!(
            "アクセスが拒否されました: {region} の {operation} が拒否されました ({code})。\
             呼び出し元に IAM アクション `{action}` が必要です。権限を付与して再実行してください{}",
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
        E::VerifyFailed(what) => format!("切り戻し後の検証に失敗しました: {what}"),
        E::StillSseKms(what) => format!(
            "まだ SSE-KMS です: {what}。メンバーズポータルでセキュア設定のオプトインを無効にしてから、もう一度切り戻してください"
        ),
        E::Drifted(what) => format!(
            "{what}。メンバーズポータルでセキュア設定のオプトインを無効にしてから、もう一度切り戻してください"
        ),
        E::RecheckNeedsStatus => {
            "--check と --since は `run status` とともに使います (再確認のみで、書き込みはしません)".into()
        }
        E::NothingToUndo { run_id, why } => format!("実行 {run_id} は取り消せません: {why}"),
        E::KeyUnusable { key, state } => format!(
            "KMS キー {key} は {state} のため、元に戻せません。何も変更していません。KMS コンソールでキーを\
             確認してください。取り消しで戻せるのは、存在して有効なキーだけです"
        ),
        E::NoEndState { run_id, why } => {
            format!("実行 {run_id} には比較する終了時の状態がありません: {why}")
        }
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
            "{} に実行 `{run_id}` はありません。`cargo xtask audit list` を参照してください",
            dir.display()
        ),
        E::NothingToResume { dir } => format!(
            "{} に再開できる未完了の実行はありません。`cargo xtask audit list` を参照してください",
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
        E::AccountMismatch {
            run_id,
            recorded,
            current,
        } => format!(
            "実行 {run_id} はアカウント {recorded} のものですが、現在の認証情報はアカウント {current} のものです。\
             再開するには {recorded} の認証情報を使ってください"
        ),
        E::AuditCorrupt {
            path,
            line,
            problem,
        } => format!("監査ログ {} の {line} 行目: {problem}", path.display()),
        E::StateCorrupt { path, problem } => format!(
            "実行状態 {} が壊れています: {problem}。実行の記録はその隣の監査ログです (`cargo xtask audit verify`)",
            path.display()
        ),
        E::StateMismatch { path, field } => format!(
            "実行状態 {} が隣の監査ログと `{field}` で食い違っています。記録はログで、状態ファイルはそのキャッシュに\
             すぎないため、何もしていません。誰が編集したか確認してください (`cargo xtask audit verify` でログを表示します)",
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
            "{} は使えません: {problem}。実行ファイルはこのユーザー自身の通常のファイルとフォルダだけです。移動してから再実行してください",
            path.display()
        ),
        E::Fixture { path, problem } => format!("フィクスチャ {}: {problem}", path.display()),
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
            "アカウント {account} に到達できません: {role_arn} の AssumeRole が失敗しました: {detail}\n\
             そのアカウントにロールが存在し、{caller_arn} を信頼している必要があります \
             (`cargo xtask iam-policy --member-role` を参照)。停止・閉鎖されたアカウントには到達できません"
        ),
        E::AssumeRoleThrottled {
            account,
            role_arn,
            detail,
        } => format!(
            "アカウント {account} の {role_arn} の AssumeRole が STS にスロットリングされました ({detail})。\
             そのアカウントでは何も実行していません。時間をおいてバッチを再開するか、--max-concurrent-accounts を下げてください"
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
             (`cargo xtask resume {batch_id}` で再開するか、--accounts で指定してください)",
            named.join(", "),
            pending.join(", ")
        ),
        E::BatchInterrupted { batch_id } => format!("バッチ {batch_id} は中断されました"),
        E::BadAccountId { value, origin } => format!(
            "`{value}` ({origin}) は AWS アカウント ID ではありません: アカウント ID は 12 桁の数字です"
        ),
        E::AccountsFileUnreadable { path, detail } => format!(
            "アカウント一覧ファイル {} を読めません: {detail}",
            path.display()
        ),
        E::NoAccounts { why } => format!("実行するアカウントがありません: {why}"),
        E::TooManyAccounts { count, max } => format!(
            "{count} アカウントは 1 つのバッチで実行できる数 (最大 {max}) を超えています。何も実行していません。\
             複数のアカウント一覧ファイルに分けて、それぞれでバッチを実行してください"
        ),
        E::NoSuchBatch { batch_id, dir } => format!(
            "{} にバッチ `{batch_id}` はありません。`cargo xtask audit list` を参照してください",
            dir.display()
        ),
        E::BatchFinished { batch_id } => format!(
            "バッチ {batch_id} に再開するものはありません: すべてのアカウントが完了したか、再開しても変わらない理由で終了しています \
             (`cargo xtask audit show {batch_id}` を参照)"
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
pub fn outcome_text(name: &str, lang: Lang) -> String {
    match lang {
        Lang::En => name.to_string(),
        Lang::Ja => match name {
            "done" => "完了",
            "failed" => "失敗 (再開可)",
            "failed (final)" => "失敗",
            "not confirmed" => "確認されず",
            "unreachable" => "到達不可",
            "interrupted" => "中断",
            "not started" => "未開始",
            _ => "未実行",
        }
        .to_string(),
    }
}

fn outcomes_ja(which: &[(String, String)]) -> String {
    let mut text = which
        .iter()
        .take(runbook::error::ACCOUNTS_SHOWN)
        .map(|(account, outcome)| format!("{account}: {}", outcome_text(outcome, Lang::Ja)))
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
        .filter_map(|name| var(name))
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
