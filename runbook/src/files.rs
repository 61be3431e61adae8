//! The files a run keeps, opened as this tool's own: folders 0700 and files 0600, never through
//! a symbolic link (`O_NOFOLLOW`), never someone else's. A planted link or a foreign file is
//! refused with a clear error instead of being written through.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

use crate::error::{Error, Result};

fn refuse(path: &Path, problem: impl Into<String>) -> Error {
    Error::UnsafePath {
        path: path.to_path_buf(),
        problem: problem.into(),
    }
}

/// Checks that `path` (if it exists) is not a symbolic link and belongs to this user.
pub fn check_own(path: &Path) -> Result<()> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(path)(e)),
    };
    if meta.file_type().is_symlink() {
        return Err(refuse(path, "is a symbolic link"));
    }
    owned(path, &meta)
}

/// Refuses what belongs to another user.
fn owned(path: &Path, meta: &std::fs::Metadata) -> Result<()> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return Err(refuse(
            path,
            format!("belongs to user id {}, not to you ({me})", meta.uid()),
        ));
    }
    Ok(())
}

/// Makes `path` (and its parents) as a private folder, or checks the one that is there. The
/// state directory itself may be a link the operator made; a run's folder may not
/// ([`check_own`] checks that).
pub fn private_dir(path: &Path) -> Result<()> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|e| match std::fs::metadata(path) {
            Ok(meta) if !meta.is_dir() => refuse(path, "is not a folder"),
            _ => Error::io(path)(e),
        })?;
    let meta = std::fs::metadata(path).map_err(Error::io(path))?;
    if !meta.is_dir() {
        return Err(refuse(path, "is not a folder"));
    }
    owned(path, &meta)
}

/// Opens `path` with `options`, refusing a symbolic link in its place (`O_NOFOLLOW`) and a
/// file that is not this user's.
pub fn open(path: &Path, options: &mut OpenOptions) -> Result<File> {
    // O_NONBLOCK: a FIFO planted in place of a file must be refused (below), not waited on;
    // it changes nothing for regular files.
    let file = options
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .mode(0o600)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                refuse(path, "is a symbolic link")
            } else {
                Error::io(path)(e)
            }
        })?;
    let meta = file.metadata().map_err(Error::io(path))?;
    owned(path, &meta)?;
    if !meta.is_file() {
        return Err(refuse(path, "is not a regular file"));
    }
    Ok(file)
}

pub fn read(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    open(path, OpenOptions::new().read(true))?
        .read_to_end(&mut bytes)
        .map_err(Error::io(path))?;
    Ok(bytes)
}

/// Replaces `path` atomically: write a temporary file, fsync it, rename it over, fsync the
/// folder. The rename replaces a link planted at `path` rather than following it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    check_own(path)?;
    let tmp = path.with_extension("json.tmp");
    // A leftover temporary file (a crash between write and rename) is ours to replace, but
    // never through a link.
    check_own(&tmp)?;
    let _ = std::fs::remove_file(&tmp);
    let mut file = open(&tmp, OpenOptions::new().write(true).create_new(true))?;
    file.write_all(bytes)
        .and_then(|_| file.sync_all())
        .map_err(Error::io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(Error::io(path))?;
    if let Some(dir) = path.parent() {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(Error::io(dir))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_in_place_of_a_file_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "theirs").unwrap();
        let link = dir.path().join("audit.jsonl");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let err = open(&link, OpenOptions::new().append(true)).unwrap_err();
        assert!(err.to_string().contains("is a symbolic link"), "{err}");
        let err = write_atomic(&link, b"ours").unwrap_err();
        assert!(err.to_string().contains("is a symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "theirs");
    }

    #[test]
    fn a_linked_run_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir(&real).unwrap();
        let link = dir.path().join("runs");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let err = check_own(&link).unwrap_err();
        assert!(err.to_string().contains("is a symbolic link"), "{err}");
    }

    #[test]
    fn another_users_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, "{}").unwrap();
        // Only root can give a file away; elsewhere there is nothing to test here.
        if std::os::unix::fs::chown(&path, Some(12345), None).is_err() {
            return;
        }
        let err = read(&path).unwrap_err();
        assert!(
            err.to_string().contains("belongs to user id 12345"),
            "{err}"
        );
        let err = write_atomic(&path, b"{}").unwrap_err();
        assert!(
            err.to_string().contains("belongs to user id 12345"),
            "{err}"
        );
    }
}
