//! The result table on disk: one Parquet file of [`Row`]s, readable by polars, pandas or DuckDB.
//!
//! Columns carry [`Row`]'s field names and types (strings, `seed` Int64, `step` nullable Int64,
//! `sweep` nullable Float64, `value` Float64). Reading checks every column by name and type and
//! ignores extra columns, so a file written by a newer emlab with more columns still loads; a
//! table written before the `sweep` column existed reads with `sweep` `None`.

use std::fs::File;
use std::path::Path;

use polars::prelude::*;

use super::Row;
use crate::atomic::write_atomic;
use crate::error::{AnalysisError, Result};

/// Writes `rows` to `path` as Parquet, atomically (a synced temporary sibling renamed over
/// `path`), creating the parent folder.
pub fn write_parquet(path: &Path, rows: &[Row]) -> Result<()> {
    let parquet = |source| AnalysisError::Parquet { path: path.to_path_buf(), source };
    let string =
        |name: &str, field: fn(&Row) -> &str| Column::new(name.into(), rows.iter().map(field).collect::<Vec<_>>());
    let columns = vec![
        string("experiment", |r| &r.experiment),
        string("solution", |r| &r.solution),
        string("variant", |r| &r.variant),
        string("dataset", |r| &r.dataset),
        Column::new("seed".into(), rows.iter().map(|r| r.seed).collect::<Vec<_>>()),
        string("condition", |r| &r.condition),
        string("group", |r| &r.group),
        Column::new("step".into(), rows.iter().map(|r| r.step).collect::<Vec<_>>()),
        Column::new("sweep".into(), rows.iter().map(|r| r.sweep).collect::<Vec<_>>()),
        string("metric", |r| &r.metric),
        Column::new("value".into(), rows.iter().map(|r| r.value).collect::<Vec<_>>()),
    ];
    let mut frame = DataFrame::new(rows.len(), columns).map_err(parquet)?;
    write_atomic(path, |out| ParquetWriter::new(out).finish(&mut frame).map(drop).map_err(parquet))
}

/// Reads a table written by [`write_parquet`]. A missing column, a column of the wrong type or
/// a null outside `step` and `sweep` is an [`AnalysisError::Schema`] naming the file and the column.
pub fn read_parquet(path: &Path) -> Result<Vec<Row>> {
    let file = File::open(path).map_err(|e| AnalysisError::io(path, e))?;
    let frame = ParquetReader::new(file)
        .finish()
        .map_err(|source| AnalysisError::Parquet { path: path.to_path_buf(), source })?;
    let columns = Columns { frame: &frame, path };
    let experiment = columns.strings("experiment")?;
    let solution = columns.strings("solution")?;
    let variant = columns.strings("variant")?;
    let dataset = columns.strings("dataset")?;
    let seed = columns.required("seed", columns.ints("seed")?)?;
    let condition = columns.strings("condition")?;
    let group = columns.strings("group")?;
    let step = columns.ints("step")?;
    let sweep = match frame.column("sweep") {
        Ok(_) => columns.floats("sweep")?,
        Err(_) => vec![None; frame.height()],
    };
    let metric = columns.strings("metric")?;
    let value = columns.required("value", columns.floats("value")?)?;
    let mut rows = Vec::with_capacity(frame.height());
    for i in 0..frame.height() {
        rows.push(Row {
            experiment: experiment[i].clone(),
            solution: solution[i].clone(),
            variant: variant[i].clone(),
            dataset: dataset[i].clone(),
            seed: seed[i],
            condition: condition[i].clone(),
            group: group[i].clone(),
            step: step[i],
            sweep: sweep[i],
            metric: metric[i].clone(),
            value: value[i],
        });
    }
    Ok(rows)
}

/// Typed access to the columns of a frame read from `path`, with errors naming both.
struct Columns<'a> {
    frame: &'a DataFrame,
    path: &'a Path,
}

impl Columns<'_> {
    /// The column `name`, which must exist and have type `dtype`.
    fn typed(&self, name: &str, dtype: &DataType) -> Result<&Column> {
        let column = self.frame.column(name).map_err(|_| AnalysisError::schema(self.path, name, "missing"))?;
        if column.dtype() != dtype {
            let problem = format!("expected type {dtype}, found {}", column.dtype());
            return Err(AnalysisError::schema(self.path, name, problem));
        }
        Ok(column)
    }

    /// A string column without nulls.
    fn strings(&self, name: &str) -> Result<Vec<String>> {
        let column = self.typed(name, &DataType::String)?;
        let values = column.str().map_err(|e| AnalysisError::schema(self.path, name, e.to_string()))?;
        let values: Vec<_> = values.iter().map(|v| v.map(str::to_string)).collect();
        self.required(name, values)
    }

    /// An Int64 column, nulls as `None`.
    fn ints(&self, name: &str) -> Result<Vec<Option<i64>>> {
        let column = self.typed(name, &DataType::Int64)?;
        let values = column.i64().map_err(|e| AnalysisError::schema(self.path, name, e.to_string()))?;
        Ok(values.iter().collect())
    }

    /// A Float64 column, nulls as `None`.
    fn floats(&self, name: &str) -> Result<Vec<Option<f64>>> {
        let column = self.typed(name, &DataType::Float64)?;
        let values = column.f64().map_err(|e| AnalysisError::schema(self.path, name, e.to_string()))?;
        Ok(values.iter().collect())
    }

    /// `values` without nulls, or an error naming the first null row of column `name`.
    fn required<T>(&self, name: &str, values: Vec<Option<T>>) -> Result<Vec<T>> {
        values
            .into_iter()
            .enumerate()
            .map(|(i, v)| v.ok_or_else(|| AnalysisError::schema(self.path, name, format!("null in row {i}"))))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::test_support::row;
    use std::fs;

    fn table() -> Vec<Row> {
        let mut curve = row("E2", "lora", "general", "bad_sports", 3, "trained", "train", "sft_loss", 1.25);
        curve.step = Some(40);
        let mut swept = row("E6", "steering", "narrow", "bad_medical", 0, "trained", "loss_subset", "loss", 0.7);
        swept.sweep = Some(1.5);
        vec![
            swept,
            row("E2", "steering", "general", "bad_medical", 0, "trained", "open", "em_pct", 35.0),
            curve,
            // Unicode and a non-finite value survive the round trip.
            row("E4", "lora32", "narrow ×2", "bad_médical ☤", -1, "x2", "in_domain_new", "em_ci_hi", f64::NAN),
        ]
    }

    #[test]
    fn round_trip_keeps_every_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results/e2.parquet");
        let rows = table();
        write_parquet(&path, &rows).unwrap();
        let back = read_parquet(&path).unwrap();
        assert_eq!(back.len(), 4);
        assert_eq!(back[..3], rows[..3]);
        assert_eq!((back[0].sweep, back[1].sweep), (Some(1.5), None));
        assert_eq!(back[2].step, Some(40));
        assert_eq!(back[1].step, None);
        assert_eq!(back[3].dataset, "bad_médical ☤");
        assert!(back[3].value.is_nan());
    }

    #[test]
    fn a_table_from_before_the_sweep_column_reads_with_no_sweep() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.parquet");
        write_parquet(&path, &table()).unwrap();
        let mut frame = ParquetReader::new(File::open(&path).unwrap()).finish().unwrap();
        let _ = frame.drop_in_place("sweep").unwrap();
        ParquetWriter::new(File::create(&path).unwrap()).finish(&mut frame).unwrap();
        let back = read_parquet(&path).unwrap();
        assert!(back.iter().all(|r| r.sweep.is_none()));
        assert_eq!(back[1..3], table()[1..3]);
    }

    #[test]
    fn empty_table_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.parquet");
        write_parquet(&path, &[]).unwrap();
        assert!(read_parquet(&path).unwrap().is_empty());
    }

    #[test]
    fn write_is_atomic_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e2.parquet");
        write_parquet(&path, &table()).unwrap();
        write_parquet(&path, &table()[..1]).unwrap();
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["e2.parquet"]);
        assert_eq!(read_parquet(&path).unwrap().len(), 1);
    }

    #[test]
    fn a_file_that_is_not_parquet_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broken.parquet");
        fs::write(&path, "not a parquet file").unwrap();
        let error = read_parquet(&path).unwrap_err().to_string();
        assert!(error.contains("broken.parquet"), "{error}");
        let missing = dir.path().join("absent.parquet");
        assert!(read_parquet(&missing).unwrap_err().to_string().contains("absent.parquet"));
    }

    #[test]
    fn a_missing_or_mistyped_column_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.parquet");
        let write = |columns: Vec<Column>| {
            let mut frame = DataFrame::new_infer_height(columns).unwrap();
            ParquetWriter::new(File::create(&path).unwrap()).finish(&mut frame).unwrap();
        };
        write(vec![Column::new("experiment".into(), ["E2"])]);
        let error = read_parquet(&path).unwrap_err().to_string();
        assert!(error.contains("other.parquet") && error.contains("\"solution\": missing"), "{error}");

        let mut columns: Vec<Column> = ["experiment", "solution", "variant", "dataset"]
            .into_iter()
            .map(|name| Column::new(name.into(), ["x"]))
            .collect();
        columns.push(Column::new("seed".into(), ["zero"]));
        write(columns);
        let error = read_parquet(&path).unwrap_err().to_string();
        assert!(error.contains("\"seed\": expected type i64, found str"), "{error}");
    }
}
