// SPDX-License-Identifier: MPL-2.0
//! The server's files on disk are its account's only: every file it writes
//! that holds data, keys or certificates is mode 0600 and every folder
//! 0700 — the data folder and all in it (the SQLite database and its
//! `-wal`/`-shm`, `server.key`, `tls/`, the audit head, the 資格確認端末's
//! folders when they live there), and the request files it writes for the
//! terminal wherever they go. At start the data folder is walked: a loose
//! file or folder is tightened and the log says so; one the server cannot
//! tighten (another account's) stops it. A key or password file the clinic
//! names (`--key-file`, `--tls-key`, `--database-password-file`) is the
//! clinic's: if others may read it the server refuses to start rather than
//! change it.

use std::path::{Path, PathBuf};

/// Creates `dir` and its missing parents, each new one owner-only.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

fn private_options() -> std::fs::OpenOptions {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts
}

/// Writes a new file only its owner may read (keys, the clinic CA's key);
/// refuses to overwrite one.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        create_private_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let mut f = private_options()
        .create_new(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(bytes).and_then(|_| f.sync_all()).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes (or replaces) a file only its owner may read: a temporary file
/// beside it, then renamed over it, so that it is never half-written.
pub fn replace_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    let mut f = private_options().create_new(true).open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Makes an empty file only its owner may read, unless it exists (the
/// SQLite database before SQLite first opens it: its `-wal` and `-shm`
/// take the database's mode).
pub fn create_private_file(path: &Path) -> std::io::Result<()> {
    match private_options().create_new(true).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(unix)]
fn mode_of(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o777
}

/// Tightens every file and folder under `root` (`root` too) that its
/// group or others may use: files to 0600, folders to 0700. Symbolic
/// links are left alone. Returns what it changed, with the mode it had;
/// an error if a loose one cannot be changed.
pub fn tighten_tree(root: &Path) -> Result<Vec<(PathBuf, u32)>, String> {
    let mut changed = Vec::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut todo = vec![root.to_owned()];
        while let Some(p) = todo.pop() {
            let Ok(meta) = std::fs::symlink_metadata(&p) else { continue };
            if meta.file_type().is_symlink() {
                continue;
            }
            let want = if meta.is_dir() { 0o700 } else { 0o600 };
            let mode = mode_of(&meta);
            if mode & 0o077 != 0 {
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(want)).map_err(
                    |e| {
                        format!(
                            "{} may be read by other accounts (mode {mode:o}) and could not be made owner-only: {e}",
                            p.display()
                        )
                    },
                )?;
                changed.push((p.clone(), mode));
            }
            if meta.is_dir() {
                let entries = std::fs::read_dir(&p).map_err(|e| format!("{}: {e}", p.display()))?;
                todo.extend(entries.flatten().map(|e| e.path()));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = root;
    Ok(changed)
}

/// Tightens the data folder (made owner-only if new), saying what it
/// changed.
pub fn secure_data_dir(dir: &Path) -> Result<(), String> {
    create_private_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (path, mode) in tighten_tree(dir)? {
        tracing::warn!(
            file = ?path,
            was = format!("{mode:o}"),
            "made owner-only: other accounts could read it"
        );
    }
    Ok(())
}

/// Refuses a secret file the clinic named that others may read.
pub fn refuse_loose(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mode = mode_of(&meta);
        if mode & 0o077 != 0 {
            return Err(format!(
                "{} may be read by other accounts (mode {mode:o}): make it the server account's only (chmod 600 {}) and start again",
                path.display(),
                path.display()
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn loose_files_and_folders_are_tightened_and_what_was_changed_is_named() {
        let root = std::env::temp_dir().join(format!("houmon-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        create_private_dir(&root.join("tls")).unwrap();
        assert_eq!(mode(&root), 0o700);
        write_private(&root.join("tls/ca.key"), b"key").unwrap();
        replace_private(&root.join("tls/ca.pem"), b"cert").unwrap();
        replace_private(&root.join("tls/ca.pem"), b"cert 2").unwrap();
        assert_eq!(std::fs::read(root.join("tls/ca.pem")).unwrap(), b"cert 2");
        create_private_file(&root.join("db")).unwrap();
        for f in ["tls/ca.key", "tls/ca.pem", "db"] {
            assert_eq!(mode(&root.join(f)), 0o600, "{f}");
        }
        assert!(tighten_tree(&root).unwrap().is_empty(), "nothing loose");
        std::fs::set_permissions(root.join("db"), std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(root.join("tls"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut changed = tighten_tree(&root).unwrap();
        changed.sort();
        assert_eq!(changed, vec![(root.join("db"), 0o644), (root.join("tls"), 0o755)]);
        assert_eq!((mode(&root.join("db")), mode(&root.join("tls"))), (0o600, 0o700));
        assert!(refuse_loose(&root.join("db")).is_ok());
        std::fs::set_permissions(root.join("db"), std::fs::Permissions::from_mode(0o640)).unwrap();
        assert!(refuse_loose(&root.join("db")).unwrap_err().contains("chmod 600"));
        let _ = std::fs::remove_dir_all(&root);
    }
}
