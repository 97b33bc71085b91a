//! Atomic file writes: a reader sees the old file or the complete new one, never a torn one.

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{AnalysisError, Result};

/// Writes `path` through `write`, atomically, creating its parent folder. The bytes go to a
/// temporary sibling (a rename across file systems would not be atomic), which is synced and then
/// renamed over `path`. On failure the temporary file is removed and `path` is untouched.
pub(crate) fn write_atomic(path: &Path, write: impl FnOnce(&mut BufWriter<File>) -> Result<()>) -> Result<()> {
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| AnalysisError::io(parent, e))?;
    }
    let temp = temp_path(path);
    let written = (|| {
        let mut out = BufWriter::new(File::create(&temp).map_err(|e| AnalysisError::io(path, e))?);
        write(&mut out)?;
        let file = out.into_inner().map_err(|e| AnalysisError::io(path, e.into_error()))?;
        file.sync_all().map_err(|e| AnalysisError::io(path, e))?;
        fs::rename(&temp, path).map_err(|e| AnalysisError::io(path, e))
    })();
    if written.is_err() {
        // Best effort: the temp file may not even exist if creating it failed.
        let _ = fs::remove_file(&temp);
    }
    written
}

/// A hidden sibling of `path`, ending in `.tmp`, that no other writer in this process or another
/// one uses (so two runs writing the same table cannot interleave their bytes).
fn temp_path(path: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let unique = NEXT.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}.{unique}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{self, Write};

    #[test]
    fn writes_into_a_new_folder_and_leaves_only_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/table.txt");
        write_atomic(&path, |out| out.write_all(b"new").map_err(|e| AnalysisError::io(&path, e))).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    }

    #[test]
    fn failed_write_keeps_the_old_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("table.txt");
        fs::write(&path, "old").unwrap();
        let failed = write_atomic(&path, |out| {
            out.write_all(b"half").map_err(|e| AnalysisError::io(&path, e))?;
            Err(AnalysisError::io(&path, io::Error::other("disk full")))
        });
        assert!(failed.unwrap_err().to_string().contains("disk full"));
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
