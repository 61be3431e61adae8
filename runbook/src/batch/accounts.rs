//! Which accounts a batch runs: `--accounts`, an accounts file, or the organization's ACTIVE
//! accounts (Organizations `ListAccounts`, every page), less `--exclude-account`.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::aws::{self, Aws, CallSink};
use crate::error::{Error, Result};

/// An account id is exactly 12 ASCII digits.
pub fn check_account_id(value: &str, origin: &str) -> Result<String> {
    let id = value.trim();
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(id.to_string())
    } else {
        Err(Error::BadAccountId {
            value: value.to_string(),
            origin: origin.to_string(),
        })
    }
}

/// The accounts file: one account id per line; `#` starts a comment (to the end of the line);
/// blank lines are ignored. Anything else on a line is refused, naming the line.
pub fn parse_accounts_file(path: &Path, text: &str) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let content = line.split('#').next().unwrap_or_default().trim();
        if content.is_empty() {
            continue;
        }
        let origin = format!("{} line {}", path.display(), index + 1);
        ids.push(check_account_id(content, &origin)?);
    }
    Ok(ids)
}

/// An accounts file is a list of ids: a megabyte holds some 75,000 of them.
const ACCOUNTS_FILE_MAX_BYTES: u64 = 1 << 20;

/// Reads an accounts file. It must be a regular file (a link to one is fine: it is only read),
/// opened without blocking so that a FIFO or a device is refused instead of waited on, and of a
/// list's size.
pub fn read_accounts_file(path: &Path) -> Result<Vec<String>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let unreadable = |detail: String| Error::AccountsFileUnreadable {
        path: path.to_path_buf(),
        detail,
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| unreadable(e.to_string()))?;
    let meta = file.metadata().map_err(|e| unreadable(e.to_string()))?;
    if !meta.is_file() {
        return Err(unreadable(
            "it is not a regular file (a FIFO, a device or a folder)".into(),
        ));
    }
    if meta.len() > ACCOUNTS_FILE_MAX_BYTES {
        return Err(unreadable(format!(
            "it is {} bytes; an accounts file is a list of ids, at most {ACCOUNTS_FILE_MAX_BYTES} bytes",
            meta.len()
        )));
    }
    let mut bytes = Vec::new();
    file.take(ACCOUNTS_FILE_MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(|_| Error::AccountsFileUnreadable {
        path: path.to_path_buf(),
        detail: "it is not UTF-8 text".into(),
    })?;
    parse_accounts_file(path, &text)
}

/// What the operator named, before the organization is asked.
#[derive(Clone, Debug, Default)]
pub struct AccountsWanted {
    pub accounts: Vec<String>,
    pub files: Vec<PathBuf>,
    pub organization: bool,
    pub exclude: Vec<String>,
}

impl AccountsWanted {
    /// Whether a batch was asked for at all.
    pub fn is_batch(&self) -> bool {
        !self.accounts.is_empty() || !self.files.is_empty() || self.organization
    }
}

/// The accounts named on the command line and in the files, and the exclusions, checked
/// without any AWS call: bad input is refused before credentials are even looked for.
pub fn listed(wanted: &AccountsWanted) -> Result<(Vec<String>, Vec<String>)> {
    let mut listed = Vec::new();
    for value in &wanted.accounts {
        listed.push(check_account_id(value, "--accounts")?);
    }
    for file in &wanted.files {
        listed.extend(read_accounts_file(file)?);
    }
    let mut exclude = Vec::new();
    for value in &wanted.exclude {
        exclude.push(check_account_id(value, "--exclude-account")?);
    }
    Ok((listed, exclude))
}

/// The accounts to run, in order, without duplicates, exclusions applied; and the excluded ones
/// that were listed.
pub async fn resolve(
    wanted: &AccountsWanted,
    base: &Aws,
    sink: &dyn CallSink,
) -> Result<(Vec<String>, Vec<String>)> {
    let (mut listed, exclude) = listed(wanted)?;
    if wanted.organization {
        listed.extend(organization_accounts(base, sink).await?);
    }
    let mut accounts: Vec<String> = Vec::new();
    let mut excluded = Vec::new();
    for id in listed {
        if exclude.contains(&id) {
            if !excluded.contains(&id) {
                excluded.push(id);
            }
        } else if !accounts.contains(&id) {
            accounts.push(id);
        }
    }
    if accounts.is_empty() {
        return Err(Error::NoAccounts {
            why: if excluded.is_empty() {
                "the list is empty (an accounts file with no account id, or an organization \
                 without an ACTIVE account)"
                    .into()
            } else {
                format!("every account listed is excluded ({})", excluded.join(", "))
            },
        });
    }
    Ok((accounts, excluded))
}

/// The organization's ACTIVE accounts, every page of `ListAccounts` (called from the management
/// account or a delegated administrator).
pub async fn organization_accounts(base: &Aws, sink: &dyn CallSink) -> Result<Vec<String>> {
    // Organizations is a global service answered in us-east-1 (cn-northwest-1 in China).
    let region = if base.default_region().starts_with("cn-") {
        "cn-northwest-1".to_string()
    } else {
        "us-east-1".to_string()
    };
    let client = base.organizations(&region);
    let mut token: Option<String> = None;
    let mut ids = Vec::new();
    for page_number in 1.. {
        let page = aws::call(
            base,
            sink,
            aws::LIST_ACCOUNTS,
            &region,
            json!({ "page": page_number }),
            client.list_accounts().set_next_token(token.clone()).send(),
        )
        .await?;
        for account in page.accounts() {
            let active = account
                .state()
                .map(|s| s.as_str() == "ACTIVE")
                // Older answers carry only `Status`.
                .unwrap_or_else(|| account.status().is_some_and(|s| s.as_str() == "ACTIVE"));
            if let (true, Some(id)) = (active, account.id()) {
                ids.push(id.to_string());
            }
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

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
                err.to_string()
                    .contains(&format!("`{bad}` (a.txt line 2) is not an AWS account id")),
                "{err}"
            );
        }
    }
}
