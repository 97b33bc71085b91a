//! The one error type of the analysis crate. Every variant names the file it was reading or
//! writing, because a pipeline that writes dozens of tables and figures is debugged by path.

use std::io;
use std::path::{Path, PathBuf};

/// Everything that can go wrong while reading or writing tables and figures.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// Creating, writing, syncing or renaming a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file (or folder) at fault.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// polars could not build, encode or decode a table.
    #[error("{}: parquet: {source}", path.display())]
    Parquet {
        /// The Parquet file.
        path: PathBuf,
        /// What polars said.
        source: polars::error::PolarsError,
    },
    /// A Parquet file does not have the columns of [`crate::Row`] with their types.
    #[error("{}: column {column:?}: {problem}", path.display())]
    Schema {
        /// The Parquet file.
        path: PathBuf,
        /// The missing or mistyped column.
        column: String,
        /// What is wrong with it, e.g. "missing" or "expected i64, found str".
        problem: String,
    },
    /// plotters failed to draw or encode a figure.
    #[error("{}: drawing failed: {message}", path.display())]
    Draw {
        /// The figure file being produced.
        path: PathBuf,
        /// plotters' or the PNG encoder's message.
        message: String,
    },
    /// The embedded font is not a font plotters can read (a corrupted asset).
    #[error("the embedded DejaVu Sans font could not be loaded")]
    Font,
}

impl AnalysisError {
    /// An [`AnalysisError::Io`] for `path`.
    pub(crate) fn io(path: &Path, source: io::Error) -> Self {
        Self::Io { path: path.to_path_buf(), source }
    }

    /// An [`AnalysisError::Schema`] for `column` of `path`.
    pub(crate) fn schema(path: &Path, column: &str, problem: impl Into<String>) -> Self {
        Self::Schema { path: path.to_path_buf(), column: column.to_string(), problem: problem.into() }
    }

    /// An [`AnalysisError::Draw`] for `path`.
    pub(crate) fn draw(path: &Path, message: impl ToString) -> Self {
        Self::Draw { path: path.to_path_buf(), message: message.to_string() }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = AnalysisError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_file_and_can_cross_threads() {
        fn is_send_sync<T: std::error::Error + Send + Sync + 'static>() {}
        // Binaries wrap these errors in anyhow, which needs Send + Sync + 'static.
        is_send_sync::<AnalysisError>();
        let error = AnalysisError::schema(Path::new("results/e2.parquet"), "seed", "missing");
        assert_eq!(error.to_string(), "results/e2.parquet: column \"seed\": missing");
    }
}
