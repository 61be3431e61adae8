//! The files a run keeps, opened as this tool's own: folders 0700 and files 0600, never through
//! a symbolic link (`O_NOFOLLOW`), never someone else's. A planted link or a foreign file is
//! refused with a clear error instead of being written through.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

use crate::error::{Error, PathProblem, Result};

fn refuse(path: &Path, problem: PathProblem) -> Error {
    Error::UnsafePath {
        path: path.to_path_buf(),
        problem,
    }
}

/// `--out`'s refusals: the same problems, other advice (choose another file).
fn refuse_out(path: &Path, problem: PathProblem) -> Error {
    Error::UnsafeOutput {
        path: path.to_path_buf(),
        problem,
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
        return Err(refuse(path, PathProblem::Symlink));
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
            PathProblem::OtherOwner {
                uid: meta.uid(),
                me,
            },
        ));
    }
    Ok(())
}

/// Whether [`private_dir`] could make `path`, asked without making anything: it exists as a
/// folder, or its nearest existing ancestor is a folder this process may write into. (So a
/// command can refuse a state directory it cannot make before it does anything else.)
pub fn could_make_dir(path: &Path) -> std::io::Result<()> {
    use std::io::{Error as IoError, ErrorKind};
    let mut at = path;
    loop {
        match std::fs::metadata(at) {
            Ok(meta) if meta.is_dir() => break,
            Ok(_) => return Err(IoError::from_raw_os_error(libc::ENOTDIR)),
            Err(e) if e.kind() == ErrorKind::NotFound => match at.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => at = parent,
                _ => return Err(e),
            },
            Err(e) => return Err(e),
        }
    }
    if at == path {
        return Ok(());
    }
    let c_path = std::ffi::CString::new(at.as_os_str().as_encoded_bytes())
        .map_err(|_| IoError::from(ErrorKind::InvalidInput))?;
    // SAFETY: `c_path` is a valid NUL-terminated string that outlives the call.
    if unsafe { libc::access(c_path.as_ptr(), libc::W_OK | libc::X_OK) } != 0 {
        return Err(IoError::last_os_error());
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
            Ok(meta) if !meta.is_dir() => refuse(path, PathProblem::NotAFolder),
            _ => Error::io(path)(e),
        })?;
    check_dir(path)
}

/// Checks the state directory a command reads (the one it would write is made or checked by
/// [`private_dir`]): if it exists, it must be a folder of this user that no other user can
/// write to. A missing one holds no runs and is no error.
pub fn check_state_dir(path: &Path) -> Result<()> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        _ => check_dir(path),
    }
}

/// A folder of this user that another user cannot write to: neither group- nor world-writable,
/// unless sticky (where only an entry's owner may rename or remove it), as ssh judges a key
/// file's folder. (It follows a link the operator made to the state directory.)
fn check_dir(path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(Error::io(path))?;
    if !meta.is_dir() {
        return Err(refuse(path, PathProblem::NotAFolder));
    }
    owned(path, &meta)?;
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 && mode & 0o1000 == 0 {
        return Err(Error::UnsafeStateDir {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

/// Checks a folder inside the state directory before it is read or used as a run's, an
/// account's or a batch's folder: not a link, this user's, not writable by others.
pub fn check_inner_dir(path: &Path) -> Result<()> {
    check_own(path)?;
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        _ => check_dir(path),
    }
}

/// Opens `path` with `options`, refusing a symbolic link in its place (`O_NOFOLLOW`), a file
/// that is not this user's, anything but a regular file (a FIFO, a device, a folder) and a file
/// with a second name (a hard link). The checks are made on the opened file (`fstat`), before
/// anything is written: `options` must not truncate (the caller truncates after).
pub fn open(path: &Path, options: &mut OpenOptions) -> Result<File> {
    // O_NONBLOCK: a FIFO planted in place of a file must be refused (below), not waited on;
    // it changes nothing for regular files.
    let file = options
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .mode(0o600)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                return refuse(path, PathProblem::Symlink);
            }
            // A FIFO without a reader (ENXIO), a folder (EISDIR): say what is there.
            match std::fs::symlink_metadata(path) {
                Ok(meta) if meta.file_type().is_symlink() => refuse(path, PathProblem::Symlink),
                Ok(meta) if !meta.is_file() => refuse(path, PathProblem::NotRegular),
                _ => Error::io(path)(e),
            }
        })?;
    let meta = file.metadata().map_err(Error::io(path))?;
    owned(path, &meta)?;
    if !meta.is_file() {
        return Err(refuse(path, PathProblem::NotRegular));
    }
    // A hard link elsewhere would have every write land in that other name too.
    if meta.nlink() != 1 {
        return Err(refuse(
            path,
            PathProblem::HardLinked {
                names: meta.nlink(),
            },
        ));
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
    // Checked before the temporary file is made: a rename over a folder would fail and leave it.
    if std::fs::symlink_metadata(path).is_ok_and(|meta| !meta.is_file()) {
        return Err(refuse(path, PathProblem::NotRegular));
    }
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

/// Writes a file the operator named (`audit report --out FILE`), atomically, as one that is
/// theirs to name but not a run's: refused when it lies in `state_dir` (the runs' own files,
/// the lock: compared by their real folders, not as strings), when something other than a
/// regular file is there (a folder, a FIFO, a device, a link), and when a file is there and
/// `replace` was not given. A file replaced keeps its mode. Everything is checked before
/// the temporary file is made.
pub fn write_out(path: &Path, bytes: &[u8], replace: bool, state_dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let name = path
        .file_name()
        .ok_or_else(|| refuse_out(path, PathProblem::NamesNoFile))?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let real_parent = std::fs::canonicalize(&parent).map_err(Error::io(&parent))?;
    if let Ok(real_state) = std::fs::canonicalize(state_dir) {
        if real_parent.starts_with(&real_state) {
            return Err(refuse_out(
                path,
                PathProblem::InStateDir {
                    state_dir: state_dir.to_path_buf(),
                },
            ));
        }
    }
    let mode = match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0o600,
        Err(e) => return Err(Error::io(path)(e)),
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(refuse_out(path, PathProblem::Symlink))
        }
        Ok(meta) if meta.is_dir() => return Err(refuse_out(path, PathProblem::Folder)),
        Ok(meta) if !meta.is_file() => return Err(refuse_out(path, PathProblem::Special)),
        Ok(meta) => {
            owned(path, &meta).map_err(|e| match e {
                Error::UnsafePath { problem, .. } => refuse_out(path, problem),
                other => other,
            })?;
            if meta.nlink() != 1 {
                return Err(refuse_out(
                    path,
                    PathProblem::HardLinked {
                        names: meta.nlink(),
                    },
                ));
            }
            if !replace {
                return Err(Error::OutputExists {
                    path: path.to_path_buf(),
                });
            }
            meta.permissions().mode() & 0o7777
        }
    };
    let tmp = real_parent.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| {
        let mut file = open(&tmp, OpenOptions::new().write(true).create_new(true))?;
        file.set_permissions(std::fs::Permissions::from_mode(mode))
            .and_then(|_| file.write_all(bytes))
            .and_then(|_| file.sync_all())
            .map_err(Error::io(&tmp))?;
        std::fs::rename(&tmp, real_parent.join(name)).map_err(Error::io(path))
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn could_make_dir_asks_without_making() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b/c");
        could_make_dir(&deep).unwrap();
        assert!(!dir.path().join("a").exists(), "nothing is made");
        could_make_dir(dir.path()).unwrap();
        // Below a file: no folder can be made there.
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        let err = could_make_dir(&file.join("state")).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOTDIR), "{err}");
        let err = could_make_dir(&file).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ENOTDIR), "{err}");
    }

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
