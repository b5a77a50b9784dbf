//! `design = "file"`: a sweep's points read from a CSV or Parquet file made elsewhere — a SALib or EMA
//! Workbench sample, a spreadsheet, the inputs of `fracture sweep export` — one row per point, one column
//! per parameter, each column named by its `--set` key path (`parameters.beta`,
//! `policy.us-chip-controls.strength`).
//!
//! Cells are typed as a `--set` value would be: a whole number is an integer, any other number a float
//! (a column that holds both is all floats), `true`/`false` a boolean, anything else text. Every error
//! names the file, the row (as `file:line` for CSV, the line the row starts on) and the column.

use super::value::Value;
use anyhow::{Context, Result, bail};
use polars::prelude::{AnyValue, DataType};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A design file, read and checked.
#[derive(Clone, Debug, PartialEq)]
pub struct PointsFile {
    pub path: PathBuf,
    /// SHA-256 of the file's bytes: part of the sweep's spec hash, so a changed file is refused on resume.
    pub sha256: String,
    /// The header: one key path per column.
    pub columns: Vec<String>,
    /// `rows[point][column]`.
    pub rows: Vec<Vec<Value>>,
    /// Whether each column holds numbers only.
    pub numeric: Vec<bool>,
    /// For a column of whole numbers and others, read as floats throughout: the row of its first
    /// number that is not whole (0-based), which messages name as the reason.
    pub floats_from: Vec<Option<usize>>,
}

impl PointsFile {
    /// Reads a `.csv` or `.parquet` file (by its extension): a regular file of at most 64 MB, parsed
    /// row by row into typed values, so a legal file of millions of points costs the points and not a
    /// string per cell.
    pub fn read(path: &Path) -> Result<PointsFile> {
        let name = path.display().to_string();
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if !matches!(ext.as_str(), "csv" | "parquet" | "pq") {
            let found = if ext.is_empty() {
                "this one has no extension".to_string()
            } else {
                format!("not `.{ext}`")
            };
            bail!("{name}: a design file is .csv or .parquet (by its extension), {found}");
        }
        let bytes = crate::fsutil::read_bytes(path, crate::fsutil::MAX_INPUT_BYTES)
            .with_context(|| format!("cannot read the design file {name}"))?;
        let sha256 = super::hex(&Sha256::digest(&bytes));
        let (columns, rows, (numeric, floats_from)) = if ext == "csv" {
            csv_rows(&name, bytes)?
        } else {
            drop(bytes);
            parquet_rows(&name, path)?
        };
        Ok(PointsFile {
            path: path.to_path_buf(),
            sha256,
            columns,
            rows,
            numeric,
            floats_from,
        })
    }

    /// The column of `key`, or an error listing the columns there are.
    pub fn column_of(&self, key: &str) -> Result<usize> {
        self.columns.iter().position(|c| c == key).with_context(|| {
            format!(
                "{}: no column `{key}` (the file has: {})",
                self.path.display(),
                self.columns.join(", ")
            )
        })
    }
}

/// Checks the header of a design file.
fn check_header(name: &str, columns: &[String]) -> Result<()> {
    if columns.is_empty() {
        bail!("{name}: no columns (the first line is the header: one --set key path per column)");
    }
    for (i, c) in columns.iter().enumerate() {
        if c.is_empty() {
            bail!("{name}: column {} has an empty name in the header", i + 1);
        }
        if columns[..i].contains(c) {
            bail!("{name}: column `{c}` appears twice in the header");
        }
    }
    Ok(())
}

/// Gives every column one type as the rows arrive: floats where a column mixes integers and floats; an
/// error where it mixes numbers and text, naming the row (`at`, worked out only for an error).
struct Typing {
    /// Each column's first value: whether it is a number, and as written.
    first: Vec<Option<(bool, String)>>,
    /// Each column's first float's row, and whether it holds an integer.
    first_float: Vec<Option<usize>>,
    any_int: Vec<bool>,
    rows: usize,
}

impl Typing {
    fn new(n: usize) -> Self {
        Typing {
            first: vec![None; n],
            first_float: vec![None; n],
            any_int: vec![false; n],
            rows: 0,
        }
    }

    fn check(&mut self, columns: &[String], row: &[Value], at: impl Fn() -> String) -> Result<()> {
        for (j, value) in row.iter().enumerate() {
            let is_number = value.as_f64().is_some();
            if matches!(value, Value::Float(_)) && self.first_float[j].is_none() {
                self.first_float[j] = Some(self.rows);
            }
            self.any_int[j] |= matches!(value, Value::Int(_));
            match &self.first[j] {
                None => self.first[j] = Some((is_number, value.to_toml())),
                Some((number, first)) if *number != is_number => bail!(
                    "{}: column `{}`: `{}` is {}, but the column's first value (`{first}`) is {}",
                    at(),
                    columns[j],
                    value.to_toml(),
                    if *number { "not a number" } else { "a number" },
                    if *number { "one" } else { "not" }
                ),
                Some(_) => {}
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// Whether each column holds numbers, after turning the integers of a column with floats into
    /// floats, and for each column so turned, its first float's row.
    fn finish(self, name: &str, rows: &mut [Vec<Value>]) -> Result<ColumnTypes> {
        if rows.is_empty() {
            bail!("{name}: no rows after the header: a design file holds one row per point");
        }
        let numeric: Vec<bool> = self
            .first
            .iter()
            .map(|f| f.as_ref().is_some_and(|f| f.0))
            .collect();
        let mut floats_from = vec![None; numeric.len()];
        for (j, float) in self.first_float.iter().enumerate() {
            if float.is_some() && numeric[j] && self.any_int[j] {
                floats_from[j] = *float;
                for r in rows.iter_mut() {
                    if let Value::Int(i) = r[j] {
                        r[j] = Value::Float(i as f64);
                    }
                }
            }
        }
        Ok((numeric, floats_from))
    }
}

/// Rows reserved ahead at most (a design's points are bounded later, by `MAX_POINTS`).
const MAX_ROWS: usize = 1 << 24;

/// The header, the rows, and each column's typing ([`Typing::finish`]).
type Typed = (Vec<String>, Vec<Vec<Value>>, ColumnTypes);

/// Whether each column holds numbers only, and for each column of whole numbers read as floats, the
/// row of its first number that is not whole.
type ColumnTypes = (Vec<bool>, Vec<Option<usize>>);

/// A cell's value as a `--set` value would be typed: integer, finite float, boolean or text; an error
/// says what is wrong with it (the caller says where).
fn parse_cell(text: &str, column: &str) -> std::result::Result<Value, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(format!(
            "column `{column}`: empty cell (every point needs a value in every column)"
        ));
    }
    if let Ok(i) = t.parse::<i64>() {
        return Ok(Value::Int(i));
    }
    if let Ok(x) = t.parse::<f64>() {
        return finite(x, column)
            .map_err(|_| format!("column `{column}`: `{t}` is not a finite number"));
    }
    Ok(match t {
        "true" | "True" | "TRUE" => Value::other(toml::Value::Boolean(true)),
        "false" | "False" | "FALSE" => Value::other(toml::Value::Boolean(false)),
        _ => Value::other(toml::Value::String(t.to_string())),
    })
}

/// Splits CSV text into records of fields (RFC 4180: `,` separates, `"` quotes, `""` is a quote inside
/// quotes, CRLF or LF ends a record) and hands each, with the line it starts on, to `record`. Blank
/// lines are skipped. One record is held at a time.
fn records(
    name: &str,
    text: &str,
    mut record: impl FnMut(usize, &[String]) -> Result<()>,
) -> Result<()> {
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let (mut line, mut start) = (1, 1);
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.trim().is_empty() => {
                field.clear();
                quoted = true;
                any = true;
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                any = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                if any || !field.trim().is_empty() {
                    fields.push(std::mem::take(&mut field));
                    record(start, &fields)?;
                    fields.clear();
                }
                field.clear();
                any = false;
                line += 1;
                start = line;
            }
            _ => field.push(c),
        }
    }
    if quoted {
        bail!("{name}:{start}: a quoted field is never closed");
    }
    if any || !field.trim().is_empty() {
        fields.push(field);
        record(start, &fields)?;
    }
    Ok(())
}

fn csv_rows(name: &str, bytes: Vec<u8>) -> Result<Typed> {
    let text = String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("{name}: not UTF-8 text"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut columns: Option<Vec<String>> = None;
    // One row a line at most: reserved once rather than grown by doubling (which holds two copies).
    let lines = text.bytes().filter(|&b| b == b'\n').count() + 1;
    let mut rows: Vec<Vec<Value>> = Vec::with_capacity(lines.min(MAX_ROWS));
    let mut typing = Typing::new(0);
    records(name, text, |line, fields| {
        let Some(columns) = &columns else {
            let header: Vec<String> = fields.iter().map(|h| h.trim().to_string()).collect();
            check_header(name, &header)?;
            typing = Typing::new(header.len());
            columns = Some(header);
            return Ok(());
        };
        if fields.len() != columns.len() {
            bail!(
                "{name}:{line}: {} fields, but the header names {} columns",
                fields.len(),
                columns.len()
            );
        }
        let row = fields
            .iter()
            .zip(columns)
            .map(|(f, c)| parse_cell(f, c))
            .collect::<std::result::Result<Vec<Value>, String>>()
            .map_err(|m| anyhow::anyhow!("{name}:{line}: {m}"))?;
        typing.check(columns, &row, || format!("{name}:{line}"))?;
        rows.push(row);
        Ok(())
    })?;
    let Some(columns) = columns else {
        bail!(
            "{name}: the file is empty (the first line is the header: one --set key path per column)"
        );
    };
    let numeric = typing.finish(name, &mut rows)?;
    Ok((columns, rows, numeric))
}

fn parquet_rows(name: &str, path: &Path) -> Result<Typed> {
    use polars_arrow::datatypes::ArrowDataType as A;
    for (column, dtype) in crate::output::parquet_schema(path)? {
        let taken = matches!(
            dtype,
            A::Boolean
                | A::Int32
                | A::Int64
                | A::UInt32
                | A::UInt64
                | A::Float32
                | A::Float64
                | A::Utf8
                | A::LargeUtf8
                | A::Utf8View
                | A::Dictionary(..)
        );
        if !taken {
            bail!(
                "{name}: column `{column}` is of Parquet/Arrow type {dtype:?}, which a design file \
                 does not take: write numbers as Float64 or Float32, whole numbers as Int32, Int64, \
                 UInt32 or UInt64, and text and booleans as such"
            );
        }
    }
    let frame = crate::output::read_parquet(path)?;
    let columns: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    check_header(name, &columns)?;
    let mut rows: Vec<Vec<Value>> = (0..frame.height())
        .map(|_| Vec::with_capacity(columns.len()))
        .collect();
    for col in frame.columns() {
        let c = col.name().to_string();
        let dtype = col.dtype().clone();
        let col = match dtype {
            DataType::Categorical(..) | DataType::Enum(..) => col.cast(&DataType::String)?,
            _ => col.clone(),
        };
        for (i, row) in rows.iter_mut().enumerate() {
            let at = || format!("{name}: row {}", i + 1);
            let value = match col.get(i)? {
                AnyValue::Null => {
                    bail!(
                        "{}: column `{c}`: empty cell (every point needs a value in every column)",
                        at()
                    )
                }
                AnyValue::Boolean(b) => Value::other(toml::Value::Boolean(b)),
                AnyValue::String(s) => Value::other(toml::Value::String(s.to_string())),
                AnyValue::StringOwned(s) => Value::other(toml::Value::String(s.to_string())),
                AnyValue::Float32(x) => {
                    finite(x as f64, &c).map_err(|m| anyhow::anyhow!("{}: {m}", at()))?
                }
                AnyValue::Float64(x) => {
                    finite(x, &c).map_err(|m| anyhow::anyhow!("{}: {m}", at()))?
                }
                v if dtype.is_integer() => {
                    Value::Int(v.extract::<i64>().with_context(|| {
                        format!("{}: column `{c}`: {v} does not fit an i64", at())
                    })?)
                }
                v => bail!(
                    "{}: column `{c}`: values of type {dtype} are not supported ({v})",
                    at()
                ),
            };
            row.push(value);
        }
    }
    let mut typing = Typing::new(columns.len());
    for (i, row) in rows.iter().enumerate() {
        typing.check(&columns, row, || format!("{name}: row {}", i + 1))?;
    }
    let numeric = typing.finish(name, &mut rows)?;
    Ok((columns, rows, numeric))
}

fn finite(x: f64, column: &str) -> std::result::Result<Value, String> {
    if !x.is_finite() {
        return Err(format!("column `{column}`: {x} is not a finite number"));
    }
    Ok(Value::Float(x))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn csv_cells_are_typed_as_set_values() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "p.csv",
            "parameters.beta, scenario.months ,policy.x.on,\"nation.KE.name\"\r\n1,24,true,\"Kenya, \"\"KE\"\"\"\n\n2.5,12,false,K\n",
        );
        let f = PointsFile::read(&p).unwrap();
        assert_eq!(
            f.columns,
            [
                "parameters.beta",
                "scenario.months",
                "policy.x.on",
                "nation.KE.name"
            ]
        );
        assert_eq!(f.rows.len(), 2);
        // The integer 1 becomes a float: the column also holds 2.5.
        assert_eq!(f.rows[0][0], Value::Float(1.0));
        assert_eq!(f.rows[1][1], Value::Int(12));
        assert_eq!(f.rows[0][2], Value::other(toml::Value::Boolean(true)));
        assert_eq!(
            f.rows[0][3],
            Value::other(toml::Value::String("Kenya, \"KE\"".into()))
        );
        assert_eq!(f.numeric, [true, true, false, false]);
        assert_eq!(f.sha256.len(), 64);
    }

    #[test]
    fn bad_csv_files_are_refused_with_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let err = |text: &str| {
            let p = write(dir.path(), "bad.csv", text);
            format!("{:#}", PointsFile::read(&p).unwrap_err())
        };
        let e = err("parameters.beta,parameters.lambda\n1,2\n3\n");
        assert!(e.contains("bad.csv:3:") && e.contains("1 fields"), "{e}");
        let e = err("parameters.beta,parameters.lambda\n1,2\n3,\n");
        assert!(
            e.contains("bad.csv:3:") && e.contains("`parameters.lambda`") && e.contains("empty"),
            "{e}"
        );
        let e = err("parameters.beta\n1\n2\nlots\n");
        assert!(
            e.contains("bad.csv:4:") && e.contains("`parameters.beta`") && e.contains("lots"),
            "{e}"
        );
        let e = err("parameters.beta\nNaN\n");
        assert!(e.contains("bad.csv:2:") && e.contains("finite"), "{e}");
        let e = err("parameters.beta,parameters.beta\n1,2\n");
        assert!(e.contains("twice"), "{e}");
        let e = err("parameters.beta\n");
        assert!(e.contains("no rows"), "{e}");
        let e = err("");
        assert!(e.contains("empty"), "{e}");
        let e = err("a\n\"open\n");
        assert!(e.contains("never closed"), "{e}");
        let p = write(dir.path(), "p.txt", "a\n1\n");
        assert!(format!("{:#}", PointsFile::read(&p).unwrap_err()).contains(".csv or .parquet"));
        let missing = PointsFile::read(&dir.path().join("nope.csv")).unwrap_err();
        assert!(format!("{missing:#}").contains("nope.csv"));
    }
}
