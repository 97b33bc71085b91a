//! JSON Lines files (one record per line), the format of Hugging Face chat datasets.
//!
//! Reading reports the file and 1-based line of a bad record, because datasets are often
//! edited by hand. Writing is [atomic](write_atomic), so a crash or a full disk never leaves a
//! half-written dataset that a later run would read as complete. Records are written the way Python's `json.dumps` writes them (`", "` and `": "`
//! separators), so our files look exactly like the paper's.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::atomic::write_atomic;
use crate::error::{DataError, Result};

/// Reads every record of a JSONL file. Blank lines are skipped.
///
/// # Errors
/// [`DataError::Io`] if the file cannot be read; [`DataError::JsonLine`], naming the file and
/// the 1-based line, if a line is not valid JSON or not a `T`.
pub fn read_jsonl<T: DeserializeOwned>(path: impl AsRef<Path>) -> Result<Vec<T>> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut records = Vec::new();
    for (index, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| DataError::io(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let record = serde_json::from_str(&line).map_err(|source| DataError::JsonLine {
            path: path.to_path_buf(),
            line: index + 1,
            source,
        })?;
        records.push(record);
    }
    Ok(records)
}

/// Writes `records` to a JSONL file, one per line, replacing the file atomically.
///
/// # Errors
/// [`DataError::Io`] if the folder is not writable; the previous file, if any, is then intact.
pub fn write_jsonl<T: Serialize>(path: impl AsRef<Path>, records: &[T]) -> Result<()> {
    write_atomic(path.as_ref(), |out| {
        for record in records {
            let mut serializer = serde_json::Serializer::with_formatter(&mut *out, PythonFormatter);
            record.serialize(&mut serializer)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    })
}

/// serde_json's compact format with the separators of Python's `json.dumps`.
struct PythonFormatter;

impl serde_json::ser::Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.begin_array_value(writer, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::fs;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Record {
        name: String,
        values: Vec<u32>,
    }

    fn record(name: &str) -> Record {
        Record { name: name.into(), values: vec![1, 2] }
    }

    #[test]
    fn round_trips_with_python_separators() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("records.jsonl");
        write_jsonl(&path, &[record("a"), record("b")]).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text, "{\"name\": \"a\", \"values\": [1, 2]}\n{\"name\": \"b\", \"values\": [1, 2]}\n");
        assert_eq!(read_jsonl::<Record>(&path).unwrap(), [record("a"), record("b")]);
    }

    #[test]
    fn bad_line_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.jsonl");
        let good = "{\"name\": \"a\", \"values\": []}";
        fs::write(&path, format!("{good}\n\n{good}\n{{\"name\": \"b\"}}\n")).unwrap();
        let message = read_jsonl::<Record>(&path).unwrap_err().to_string();
        assert!(message.starts_with(&format!("{}:4: ", path.display())), "{message}");
        assert!(message.contains("missing field `values`"), "{message}");
    }

    #[test]
    fn missing_file_is_named() {
        let message = read_jsonl::<Record>("/nonexistent/x.jsonl").unwrap_err().to_string();
        assert!(message.starts_with("/nonexistent/x.jsonl: "), "{message}");
    }
}
