//! The words of a batch (many accounts): its progress lines, its plan and question, its summary
//! table, and its audit views. Plain words are fields of [`BatchWords`], one const per language,
//! so that a missing translation does not compile; sentences with numbers are functions that
//! match on the language.

use crate::flags::Lang;

/// The plain words of one language; `of(lang)` gives them.
pub struct BatchWords {
    pub trail_not_kms: &'static str,
    pub bucket_not_set: &'static str,
    pub bucket: &'static str,
    pub account_header: &'static str,
    pub before_header: &'static str,
    pub writes_header: &'static str,
    pub result_header: &'static str,
    pub run_header: &'static str,
    pub batch_title: &'static str,
    pub recorded_in_english: &'static str,
    pub batch_journal: &'static str,
    pub batch: &'static str,
    pub account: &'static str,
    pub writes: &'static str,
    pub run: &'static str,
    pub member_role: &'static str,
    pub trail_header: &'static str,
    pub home_region_header: &'static str,
    pub kms_in_header: &'static str,
    pub bucket_header: &'static str,
    pub not_in_plan: &'static str,
    pub batches: &'static str,
    pub unreadable: &'static str,
    pub accounts_done: &'static str,
    pub role: &'static str,
    pub from: &'static str,
    pub accounts: &'static str,
    pub skipped: &'static str,
    pub ok: &'static str,
    pub journal_verifies: &'static str,
    pub events: &'static str,
}

const EN: BatchWords = BatchWords {
    trail_not_kms: "trail not SSE-KMS",
    bucket_not_set: "bucket not set",
    bucket: "bucket",
    account_header: "Account",
    before_header: "Before",
    writes_header: "Writes",
    result_header: "Result",
    run_header: "Run",
    batch_title: "Batch",
    recorded_in_english: "",
    batch_journal: "Batch journal",
    batch: "batch",
    account: "account",
    writes: "writes",
    run: "run",
    member_role: "Role in each member account",
    trail_header: "Trail",
    home_region_header: "Home region",
    kms_in_header: "SSE-KMS in",
    bucket_header: "Bucket",
    not_in_plan: "Not in this plan",
    batches: "Batches:",
    unreadable: "unreadable:",
    accounts_done: "accounts done",
    role: "role",
    from: "from",
    accounts: "accounts",
    skipped: "skipped",
    ok: "ok",
    journal_verifies: "the journal verifies",
    events: "events",
};

const JA: BatchWords = BatchWords {
    trail_not_kms: "証跡 SSE-KMS なし",
    bucket_not_set: "バケット 未設定",
    bucket: "バケット",
    account_header: "アカウント",
    before_header: "変更前",
    writes_header: "書き込み",
    result_header: "結果",
    run_header: "実行",
    batch_title: "バッチ",
    recorded_in_english: "(記録された英語のメッセージ) ",
    batch_journal: "バッチの記録",
    batch: "バッチ",
    account: "アカウント",
    writes: "書き込み",
    run: "実行",
    member_role: "各メンバーアカウントで引き受けるロール",
    trail_header: "証跡",
    home_region_header: "ホームリージョン",
    kms_in_header: "SSE-KMS のリージョン",
    bucket_header: "バケット",
    not_in_plan: "この計画に含まれないアカウント",
    batches: "バッチ:",
    unreadable: "読めません:",
    accounts_done: "アカウント完了",
    role: "ロール",
    from: "実行者",
    accounts: "アカウント",
    skipped: "件を対象外",
    ok: "成功",
    journal_verifies: "記録は検証されました",
    events: "件のイベント",
};
pub fn of(lang: Lang) -> &'static BatchWords {
    match lang {
        Lang::En => &EN,
        Lang::Ja => &JA,
    }
}

/// Why an account the organization listed is not in the batch.
pub fn skipped_why(state: &str, lang: Lang) -> String {
    match lang {
        Lang::En => {
            format!("skipped: the organization lists it as {state} (only ACTIVE accounts are run)")
        }
        Lang::Ja => {
            format!(
                "対象外: 組織での状態が {state} です (実行するのは ACTIVE のアカウントだけです)"
            )
        }
    }
}

/// The trail's part of an account's "before": `trail SSE-KMS in 17 regions`.
pub fn trail_kms_in(regions: usize, lang: Lang) -> String {
    match lang {
        Lang::En => format!("trail SSE-KMS in {regions} regions"),
        Lang::Ja => format!("証跡 SSE-KMS ({regions} リージョン)"),
    }
}

/// The summary's totals line.
pub fn totals(done: usize, accounts: usize, writes: usize, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{done} of {accounts} accounts done, {writes} writes made."),
        Lang::Ja => {
            format!("{accounts} アカウント中 {done} アカウント完了、書き込み {writes} 件。")
        }
    }
}

/// A batch's live display on a terminal (one line, redrawn in place): where the accounts of
/// this attempt stand. `checked` counts those whose status and plan are done, whatever came
/// after; `waiting` (for the one question) and `writing` those that are there now.
pub fn progress(
    total: usize,
    checked: usize,
    waiting: usize,
    writing: usize,
    done: usize,
    failed: usize,
    lang: Lang,
) -> String {
    match lang {
        Lang::En => format!(
            "{checked} of {total} checked, {waiting} waiting for the question, {writing} writing, {done} done, {failed} failed"
        ),
        Lang::Ja => format!(
            "{total} アカウント中 確認済み {checked}、質問待ち {waiting}、書き込み中 {writing}、完了 {done}、失敗 {failed}"
        ),
    }
}

/// `--since` could not compare an account: its folder has no such revert run.
pub fn not_compared(account: &str, since: &str, lang: Lang) -> String {
    match lang {
        Lang::En => format!("account {account}: not compared: no revert run `{since}` in its folder"),
        Lang::Ja => format!(
            "アカウント {account}: 比較していません: そのフォルダーに切り戻しの実行 `{since}` がありません"
        ),
    }
}

/// The plan table's count of encrypted regions.
pub fn regions(n: usize, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{n} regions"),
        Lang::Ja => format!("{n} リージョン"),
    }
}

/// The plan's title.
pub fn plan_for(accounts: usize, writes: usize, lang: Lang) -> String {
    match lang {
        Lang::En => format!("Plan for {accounts} accounts ({writes} writes)"),
        Lang::Ja => format!("{accounts} アカウントの計画 (書き込み {writes} 件)"),
    }
}

/// The batch's one question.
pub fn question(accounts: usize, writes: usize, lang: Lang) -> String {
    match lang {
        Lang::En => format!("Is the opt-in off in every account, and should these {writes} writes be made in {accounts} accounts? [y/N] "),
        Lang::Ja => format!("すべてのアカウントでオプトインは無効ですか。{accounts} アカウントで上記の {writes} 件の変更を実行しますか? [y/N] "),
    }
}

/// `audit show BATCH_ID`'s line for the operator's answer.
pub fn confirmation_event(confirmed: bool, accounts: usize, writes: usize, lang: Lang) -> String {
    match lang {
        Lang::En => format!(
            "batch_confirmation: {} ({accounts} accounts, {writes} writes)",
            if confirmed { "yes" } else { "no" },
        ),
        Lang::Ja => format!(
            "batch_confirmation: {} ({accounts} アカウント、書き込み {writes} 件)",
            if confirmed { "はい" } else { "いいえ" },
        ),
    }
}

/// `audit show BATCH_ID`'s line for the batch's end.
pub fn ended_event(done: usize, unfinished: usize, lang: Lang) -> String {
    match lang {
        Lang::En => format!("batch_ended: {done} done, {unfinished} unfinished"),
        Lang::Ja => format!("batch_ended: 完了 {done}、未完了 {unfinished}"),
    }
}
