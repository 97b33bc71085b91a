//! Atomic file writes: a reader sees the old file or the complete new one, never a torn one.

use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::Path;

use crate::error::{AnalysisError, Result};

/// Writes `path` through `write`, atomically, creating its parent folder: the workspace's one
/// atomic writer ([`emlab_data::write_atomic`]: temporary sibling, sync, rename; on failure
/// `path` is untouched), with this crate's errors passed through unchanged.
pub(crate) fn write_atomic(path: &Path, write: impl FnOnce(&mut BufWriter<File>) -> Result<()>) -> Result<()> {
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| AnalysisError::io(parent, e))?;
    }
    let mut failure = None;
    let written = emlab_data::write_atomic(path, |out| {
        write(out).map_err(|e| {
            let message = e.to_string();
            failure = Some(e);
            io::Error::other(message)
        })
    });
    match (written, failure) {
        (Ok(()), _) => Ok(()),
        (Err(_), Some(e)) => Err(e),
        (Err(e), None) => Err(AnalysisError::io(path, io::Error::other(e))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

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
