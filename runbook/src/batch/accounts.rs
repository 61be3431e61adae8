//! Which accounts a batch runs: `--accounts`, an accounts file, or the organization's ACTIVE
//! accounts (Organizations `ListAccounts`, every page), less `--exclude-account`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::aws::{self, Aws, CallSink};
use crate::error::{AccountsFileProblem, Error, Result};

/// An AWS account id: exactly 12 ASCII digits, nothing else. Every account id a batch takes in
/// (flags, accounts files, Organizations `ListAccounts`, every batch journal read) becomes one
/// through [`AccountId::parse`] or serde, which refuse anything else: an id names a folder
/// (`accounts/<id>/`), so `../x` or `/tmp/x` must never get that far.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountId(String);

impl AccountId {
    /// `value` as an account id (surrounding blanks ignored), or [`Error::BadAccountId`] naming
    /// where it came from.
    pub fn parse(value: &str, origin: &str) -> Result<AccountId> {
        let id = value.trim();
        if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
            Ok(AccountId(id.to_string()))
        } else {
            Err(Error::BadAccountId {
                value: excerpt(value),
                origin: origin.to_string(),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// At most 20 characters of `value`, escaped (control characters and quotes as `\n`, `\u{…}`),
/// with `…` when cut: what an error may echo of input that could be anything (a file's line).
pub fn excerpt(value: &str) -> String {
    const MAX: usize = 20;
    let mut out: String = value
        .chars()
        .take(MAX)
        .flat_map(char::escape_debug)
        .collect();
    if value.chars().count() > MAX {
        out.push('…');
    }
    out
}

impl TryFrom<String> for AccountId {
    type Error = String;
    fn try_from(value: String) -> std::result::Result<AccountId, String> {
        AccountId::parse(&value, "a journal")
            .map_err(|_| format!("`{}` is not an AWS account id (12 digits)", excerpt(&value)))
    }
}

impl From<AccountId> for String {
    fn from(id: AccountId) -> String {
        id.0
    }
}

impl std::fmt::Display for AccountId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::ops::Deref for AccountId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<Path> for AccountId {
    fn as_ref(&self) -> &Path {
        Path::new(&self.0)
    }
}

impl PartialEq<str> for AccountId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for AccountId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for AccountId {
    fn eq(&self, other: &String) -> bool {
        &self.0 == other
    }
}

/// The accounts file: one account id per line; `#` starts a comment (to the end of the line);
/// blank lines are ignored. Anything else on a line is refused, naming the line.
/// A UTF-8 byte order mark at the start (as some Windows editors write) is skipped. A bad line
/// is named by its number, with a short escaped excerpt: the file may be anything.
pub fn parse_accounts_file(path: &Path, text: &str) -> Result<Vec<AccountId>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut ids = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let content = line.split('#').next().unwrap_or_default().trim();
        if content.is_empty() {
            continue;
        }
        let origin = format!("{} line {}", path.display(), index + 1);
        ids.push(AccountId::parse(content, &origin)?);
    }
    Ok(ids)
}

/// An accounts file is a list of ids: a megabyte holds some 75,000 of them.
const ACCOUNTS_FILE_MAX_BYTES: u64 = 1 << 20;

/// Reads an accounts file. It must be a regular file (a link to one is fine: it is only read),
/// opened without blocking so that a FIFO or a device is refused instead of waited on, and of a
/// list's size.
pub fn read_accounts_file(path: &Path) -> Result<Vec<AccountId>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let unreadable = |source: AccountsFileProblem| Error::AccountsFileUnreadable {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| unreadable(AccountsFileProblem::Io(e)))?;
    let meta = file
        .metadata()
        .map_err(|e| unreadable(AccountsFileProblem::Io(e)))?;
    if !meta.is_file() {
        return Err(unreadable(AccountsFileProblem::NotAFile));
    }
    if meta.len() > ACCOUNTS_FILE_MAX_BYTES {
        return Err(unreadable(AccountsFileProblem::TooLarge {
            size: meta.len(),
            max: ACCOUNTS_FILE_MAX_BYTES,
        }));
    }
    let mut bytes = Vec::new();
    file.take(ACCOUNTS_FILE_MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(AccountsFileProblem::Io(e)))?;
    let text = String::from_utf8(bytes).map_err(|_| unreadable(AccountsFileProblem::NotUtf8))?;
    parse_accounts_file(path, &text)
}

/// What the operator named, before the organization is asked.
#[derive(Clone, Debug, Default)]
pub struct AccountsWanted {
    pub accounts: Vec<AccountId>,
    pub files: Vec<PathBuf>,
    pub organization: bool,
    pub exclude: Vec<AccountId>,
}

impl AccountsWanted {
    /// Whether a batch was asked for at all.
    pub fn is_batch(&self) -> bool {
        !self.accounts.is_empty() || !self.files.is_empty() || self.organization
    }
}

/// The accounts named on the command line and in the files, and the exclusions, read without
/// any AWS call: bad input is refused before credentials are even looked for.
pub fn listed(wanted: &AccountsWanted) -> Result<(Vec<AccountId>, Vec<AccountId>)> {
    let mut listed = wanted.accounts.clone();
    for file in &wanted.files {
        listed.extend(read_accounts_file(file)?);
    }
    check_count(&listed, &wanted.exclude)?;
    Ok((listed, wanted.exclude.clone()))
}

/// The most accounts one batch runs. Each account is a run with its own journal, and the batch
/// holds every account's plan until its one question is answered; BENCHMARKS.md has the
/// figures. A larger fleet is run as several batches (several accounts files).
pub const MAX_BATCH_ACCOUNTS: usize = 10_000;

/// Refuses a list of more than [`MAX_BATCH_ACCOUNTS`] distinct accounts, exclusions applied.
fn check_count(listed: &[AccountId], exclude: &[AccountId]) -> Result<()> {
    let exclude: HashSet<&AccountId> = exclude.iter().collect();
    let count = listed
        .iter()
        .filter(|a| !exclude.contains(a))
        .collect::<HashSet<_>>()
        .len();
    if count > MAX_BATCH_ACCOUNTS {
        return Err(Error::TooManyAccounts {
            count,
            max: MAX_BATCH_ACCOUNTS,
        });
    }
    Ok(())
}

/// Ids given as text (a flag's values), each checked, naming the flag when one is not an id.
pub fn parse_all(values: &[String], origin: &str) -> Result<Vec<AccountId>> {
    values.iter().map(|v| AccountId::parse(v, origin)).collect()
}

/// The accounts to run, in order, without duplicates, exclusions applied; the excluded ones
/// that were listed; and the organization's accounts that are not ACTIVE.
pub async fn resolve(
    wanted: &AccountsWanted,
    base: &Aws,
    sink: &dyn CallSink,
) -> Result<(Vec<AccountId>, Vec<AccountId>, Vec<Skipped>)> {
    let (mut listed, exclude) = listed(wanted)?;
    let mut skipped = Vec::new();
    if wanted.organization {
        let (active, inactive) = organization_accounts(base, sink).await?;
        listed.extend(active);
        check_count(&listed, &exclude)?;
        skipped = inactive
            .into_iter()
            .filter(|s| !exclude.contains(&s.account))
            .collect();
    }
    // Linear in the list: an accounts file may hold tens of thousands of ids.
    let exclude: HashSet<AccountId> = exclude.into_iter().collect();
    let mut seen = HashSet::new();
    let mut accounts: Vec<AccountId> = Vec::new();
    let mut excluded = Vec::new();
    for id in listed {
        if !seen.insert(id.clone()) {
            continue;
        }
        if exclude.contains(&id) {
            excluded.push(id);
        } else {
            accounts.push(id);
        }
    }
    if accounts.is_empty() {
        return Err(Error::NoAccounts {
            why: if excluded.is_empty() {
                crate::error::NoAccountsWhy::Empty
            } else {
                crate::error::NoAccountsWhy::AllExcluded {
                    excluded: excluded.iter().map(AccountId::to_string).collect(),
                }
            },
        });
    }
    Ok((accounts, excluded, skipped))
}

/// The organization's ACTIVE accounts, every page of `ListAccounts` (called from the management
/// account or a delegated administrator), and the others with their state (SUSPENDED…).
pub async fn organization_accounts(
    base: &Aws,
    sink: &dyn CallSink,
) -> Result<(Vec<AccountId>, Vec<Skipped>)> {
    // Organizations is a global service answered in us-east-1 (cn-northwest-1 in China).
    let region = if base.default_region().starts_with("cn-") {
        "cn-northwest-1".to_string()
    } else {
        "us-east-1".to_string()
    };
    let client = base.organizations(&region);
    let mut token: Option<String> = None;
    let mut ids = Vec::new();
    let mut skipped = Vec::new();
    for page_number in 1.. {
        let page = aws::call(
            base,
            sink,
            aws::LIST_ACCOUNTS,
            &region,
            json!({ "page": page_number }),
            client.list_accounts().set_next_token(token.clone()).send(),
        )
        .await
        .map_err(|f| {
            // moto and older answers omit the `Exception` suffix.
            if f.code.starts_with("AWSOrganizationsNotInUse") {
                Error::OrganizationsNotInUse
            } else {
                Error::from(f)
            }
        })?;
        for account in page.accounts() {
            let state = account
                .state()
                .map(|s| s.as_str().to_string())
                // Older answers carry only `Status`.
                .or_else(|| account.status().map(|s| s.as_str().to_string()))
                .unwrap_or_else(|| "unknown".into());
            let Some(id) = account.id() else { continue };
            // Whatever the answer says, only an account id goes on (it names a folder).
            let id = AccountId::parse(id, "Organizations ListAccounts")?;
            if state == "ACTIVE" {
                ids.push(id);
            } else {
                skipped.push(Skipped { account: id, state });
            }
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok((ids, skipped))
}

/// An account left out of a batch by what the organization says of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Skipped {
    pub account: AccountId,
    /// `SUSPENDED`, `PENDING_CLOSURE`…: the account's state in Organizations `ListAccounts`.
    pub state: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An accounts file that cannot be read keeps the system's error as its source, and says
    /// it once: the text is the one it always was.
    #[test]
    fn an_unreadable_accounts_file_keeps_its_cause() {
        let dir = std::env::temp_dir().join(format!("accounts-cause-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.txt");
        let err = read_accounts_file(&missing).unwrap_err();
        let io = std::error::Error::source(&err)
            .and_then(|s| s.source())
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .expect("the io error is kept as the source");
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
        let text = format!(
            "the accounts file {} cannot be read: {io}",
            missing.display()
        );
        assert_eq!(err.to_string(), text);
        assert_eq!(crate::error::error_chain(&err), text);
        let err = read_accounts_file(&dir).unwrap_err();
        assert_eq!(
            crate::error::error_chain(&err),
            format!(
                "the accounts file {} cannot be read: it is not a regular file (a FIFO, a device \
                 or a folder)",
                dir.display()
            )
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_accounts_file_takes_ids_comments_and_blank_lines() {
        let text = "# customers\n111111111111\n\n  222222222222   # the second\n#333333333333\n";
        assert_eq!(
            parse_accounts_file(Path::new("a.txt"), text).unwrap(),
            vec!["111111111111", "222222222222"]
        );
    }

    #[test]
    fn anything_else_is_refused_naming_the_line() {
        for bad in [
            "11111111111",
            "1111111111111",
            "11111111111a",
            "111111111111,222222222222",
        ] {
            let text = format!("111111111111\n{bad}\n");
            let err = parse_accounts_file(Path::new("a.txt"), &text).unwrap_err();
            assert!(
                err.to_string().contains(&format!(
                    "`{}` (a.txt line 2) is not an AWS account id",
                    excerpt(bad)
                )),
                "{err}"
            );
        }
    }

    /// A UTF-8 byte order mark (as Windows editors write) is not part of the first id.
    #[test]
    fn a_byte_order_mark_is_skipped() {
        let text = "\u{feff}111111111111\r\n222222222222\r\n";
        assert_eq!(
            parse_accounts_file(Path::new("a.txt"), text).unwrap(),
            vec!["111111111111", "222222222222"]
        );
    }

    /// A file that is not an accounts file (`/etc/shadow`, say) is refused naming the line,
    /// with at most 20 characters of it, escaped: the error does not echo the file.
    #[test]
    fn a_bad_line_is_echoed_as_a_short_escaped_excerpt_only() {
        let text = "root:$6$SALTsaltSALT$0123456789abcdefghijklmnop:19000:0:99999:7:::\n";
        let err = parse_accounts_file(Path::new("/etc/shadow"), text)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "`root:$6$SALTsaltSALT…` (/etc/shadow line 1) is not an AWS account id"
            ),
            "{err}"
        );
        assert!(!err.contains("0123456789"), "{err}");
        let err = parse_accounts_file(Path::new("a.txt"), "\u{1b}[31mred\tx\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(r"`\u{1b}[31mred\tx`"), "{err}");
    }
}
