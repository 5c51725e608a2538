//! atomic_write.rs: how does an output file appear whole or not at all, without harming what
//! the path names?
//!
//! Every file wirecopy writes (`scan -o`, `--save-index`) goes through [`write()`]:
//!
//! - a **regular file or a new path** is written to a temporary file in the same folder, which
//!   is then renamed over the path: a reader sees the old file or the new one, never half of
//!   one. The result gets mode 0644 (temporary files are created 0600).
//! - a **symbolic link** is followed (through chains and dangling links) and its target is
//!   written as above; the link itself stays a link.
//! - **anything else** (a character device such as `/dev/null` or `/dev/stdout`, a FIFO, a
//!   socket) is opened and written in place: renaming over it would replace the device with a
//!   regular file, and a non-root user could not do it at all.
//!
//! Temporary files are listed in a process-wide registry while they exist, so that an
//! interrupted process can remove them ([`remove_temporary_files`], called by the binary's
//! SIGINT/SIGTERM handler: `exit` runs no destructors). The registry lock is held while a
//! temporary file is renamed into place, so a handler that takes the lock sees each file
//! either still temporary (and removes it) or already renamed (and leaves the result alone).
//!
//! Invariant: the only file created beside the target is the temporary one, and it is either
//! renamed into place, removed on error or drop, or listed in the registry.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Temporary files that exist right now (see the module doc).
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Remove every temporary file this process is writing, and keep the registry locked so that
/// none is renamed into place afterwards; for a signal handler that exits right after. Returns
/// the files removed.
pub fn remove_temporary_files() -> Vec<PathBuf> {
    let mut g = live();
    let removed: Vec<PathBuf> = g.drain(..).filter(|p| fs::remove_file(p).is_ok()).collect();
    // The process is about to exit: hold the lock so no writer renames a file after this.
    std::mem::forget(g);
    removed
}

/// Temporary files currently registered (for tests and diagnostics).
pub fn temporary_files() -> Vec<PathBuf> {
    live().clone()
}

/// Where a path leads once symbolic links are followed.
enum Resolved {
    /// A regular file or a path that does not exist yet: write atomically here.
    Atomic(PathBuf),
    /// A device, FIFO or socket: write in place.
    InPlace(PathBuf),
}

/// Follow symbolic links from `path` (at most 40, as the kernel does).
fn resolve(path: &Path) -> io::Result<Resolved> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&p) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Resolved::Atomic(p)),
            Err(e) => return Err(e),
            Ok(m) if m.file_type().is_symlink() => {
                // A link into /proc (like /dev/stdout -> /proc/self/fd/1) may point at a pipe
                // that has no path; what it reaches decides.
                if let Ok(t) = fs::metadata(&p) {
                    if !t.is_file() && !t.is_dir() {
                        return Ok(Resolved::InPlace(p));
                    }
                }
                let target = fs::read_link(&p)?;
                p = if target.is_absolute() {
                    target
                } else {
                    p.parent().unwrap_or(Path::new("")).join(target)
                };
            }
            Ok(m) if m.is_file() => return Ok(Resolved::Atomic(p)),
            Ok(m) if m.is_dir() => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{} is a directory", p.display()),
                ))
            }
            Ok(_) => return Ok(Resolved::InPlace(p)),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("too many levels of symbolic links at {}", path.display()),
    ))
}

/// Write `path` with `f` (see the module doc for what happens to each kind of path). With
/// `sync`, the data reach the disk before the rename. `f` gets the open file; callers wrap it in
/// a `BufWriter`.
pub fn write(
    path: &Path,
    sync: bool,
    f: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let target = match resolve(path)? {
        Resolved::InPlace(p) => {
            let mut file = OpenOptions::new().write(true).open(&p)?;
            return f(&mut file);
        }
        Resolved::Atomic(p) => p,
    };
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".wirecopy-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    let tmp_path = tmp.path().to_path_buf();
    live().push(tmp_path.clone());
    let unregister = |p: &Path| live().retain(|q| q != p);
    let written = (|| {
        f(tmp.as_file_mut())?;
        if sync {
            tmp.as_file().sync_all()?;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            tmp.as_file()
                .set_permissions(fs::Permissions::from_mode(0o644))?;
        }
        Ok::<(), io::Error>(())
    })();
    if let Err(e) = written {
        unregister(&tmp_path);
        return Err(e); // dropping `tmp` removes the file
    }
    let mut g = live();
    let persisted = tmp.persist(&target);
    g.retain(|q| q != &tmp_path);
    drop(g);
    persisted.map(drop).map_err(|e| e.error)
}

/// Whether two paths name the same existing file (same device and inode once links are
/// followed). A path that does not exist names no file yet.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(x), Ok(y)) => same_meta(&x, &y),
        _ => false,
    }
}

#[cfg(unix)]
fn same_meta(x: &fs::Metadata, y: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    x.dev() == y.dev() && x.ino() == y.ino()
}

#[cfg(not(unix))]
fn same_meta(_: &fs::Metadata, _: &fs::Metadata) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn put(path: &Path, text: &str) -> io::Result<()> {
        write(path, false, |f| f.write_all(text.as_bytes()))
    }

    #[test]
    fn new_and_existing_files_are_replaced_whole_with_mode_0644() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.txt");
        put(&p, "one").unwrap();
        put(&p, "two").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o644
            );
        }
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(temporary_files().iter().all(|t| !t.starts_with(dir.path())));
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.txt");
        put(&p, "old").unwrap();
        let r = write(&p, false, |f| {
            f.write_all(b"half")?;
            Err(io::Error::other("disk full"))
        });
        assert!(r.is_err());
        assert_eq!(fs::read_to_string(&p).unwrap(), "old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_followed_and_stay_links() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.txt");
        let link = dir.path().join("link.txt");
        let dangling = dir.path().join("dangling.txt");
        put(&real, "old").unwrap();
        std::os::unix::fs::symlink("real.txt", &link).unwrap();
        std::os::unix::fs::symlink("new.txt", &dangling).unwrap();
        put(&link, "new").unwrap();
        put(&dangling, "created").unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
        assert!(fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(
            fs::read_to_string(dir.path().join("new.txt")).unwrap(),
            "created"
        );
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_written_in_place() {
        let null = Path::new("/dev/null");
        put(null, "gone").unwrap();
        let m = fs::symlink_metadata(null).unwrap();
        assert!(!m.is_file(), "/dev/null must stay a device");
    }

    #[test]
    fn directories_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(put(dir.path(), "x").is_err());
    }

    #[test]
    fn same_file_sees_through_links_and_relative_paths() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        put(&p, "x").unwrap();
        assert!(same_file(&p, &dir.path().join(".").join("a.txt")));
        assert!(!same_file(&p, &dir.path().join("b.txt")));
    }
}
