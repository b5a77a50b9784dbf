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
}

impl PointsFile {
    /// Reads a `.csv` or `.parquet` file (by its extension).
    pub fn read(path: &Path) -> Result<PointsFile> {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read the design file {}", path.display()))?;
        let sha256 = super::hex(&Sha256::digest(&bytes));
        let name = path.display().to_string();
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let (columns, cells) = match ext.as_str() {
            "csv" => csv_cells(&name, &bytes)?,
            "parquet" | "pq" => parquet_cells(&name, path)?,
            _ => bail!("{name}: a design file is .csv or .parquet, not `.{ext}`"),
        };
        let (rows, numeric) = typed(&name, &columns, cells)?;
        Ok(PointsFile {
            path: path.to_path_buf(),
            sha256,
            columns,
            rows,
            numeric,
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

/// A cell as read: its text (or typed value from Parquet) and where it came from.
struct Cell {
    value: Value,
    /// `file:line` (CSV) or `file: row N` (Parquet), for errors.
    at: String,
}

/// Checks the header, then gives every column one type: floats where a column mixes integers and
/// floats; an error where it mixes numbers and text.
fn typed(
    name: &str,
    columns: &[String],
    cells: Vec<Vec<Cell>>,
) -> Result<(Vec<Vec<Value>>, Vec<bool>)> {
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
    if cells.is_empty() {
        bail!("{name}: no rows after the header: a design file holds one row per point");
    }
    let mut numeric = Vec::with_capacity(columns.len());
    for (j, col) in columns.iter().enumerate() {
        let first = &cells[0][j];
        let is_number = first.value.as_f64().is_some();
        for row in &cells {
            let cell = &row[j];
            if cell.value.as_f64().is_some() != is_number {
                bail!(
                    "{}: column `{col}`: `{}` is {}, but the column's first value (`{}`) is {}",
                    cell.at,
                    cell.value.to_toml(),
                    if is_number {
                        "not a number"
                    } else {
                        "a number"
                    },
                    first.value.to_toml(),
                    if is_number { "one" } else { "not" }
                );
            }
        }
        numeric.push(is_number);
    }
    let mut rows: Vec<Vec<Value>> = cells
        .into_iter()
        .map(|r| r.into_iter().map(|c| c.value).collect())
        .collect();
    for (j, &num) in numeric.iter().enumerate() {
        if num && rows.iter().any(|r| matches!(r[j], Value::Float(_))) {
            for r in &mut rows {
                if let Value::Int(i) = r[j] {
                    r[j] = Value::Float(i as f64);
                }
            }
        }
    }
    Ok((rows, numeric))
}

/// A CSV cell's value: integer, finite float, boolean or text.
fn parse_cell(text: &str, at: &str, column: &str) -> Result<Value> {
    let t = text.trim();
    if t.is_empty() {
        bail!("{at}: column `{column}`: empty cell (every point needs a value in every column)");
    }
    if let Ok(i) = t.parse::<i64>() {
        return Ok(Value::Int(i));
    }
    if let Ok(x) = t.parse::<f64>() {
        if !x.is_finite() {
            bail!("{at}: column `{column}`: `{t}` is not a finite number");
        }
        return Ok(Value::Float(x));
    }
    Ok(match t {
        "true" | "True" | "TRUE" => Value::Other(toml::Value::Boolean(true)),
        "false" | "False" | "FALSE" => Value::Other(toml::Value::Boolean(false)),
        _ => Value::Other(toml::Value::String(t.to_string())),
    })
}

/// Splits CSV text into records of fields (RFC 4180: `,` separates, `"` quotes, `""` is a quote inside
/// quotes, CRLF or LF ends a record); each record with the line it starts on. Blank lines are skipped.
fn records(name: &str, text: &str) -> Result<Vec<(usize, Vec<String>)>> {
    let mut out = Vec::new();
    let mut fields = Vec::new();
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
                    out.push((start, std::mem::take(&mut fields)));
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
        out.push((start, fields));
    }
    Ok(out)
}

fn csv_cells(name: &str, bytes: &[u8]) -> Result<(Vec<String>, Vec<Vec<Cell>>)> {
    let text = std::str::from_utf8(bytes).with_context(|| format!("{name}: not UTF-8 text"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut recs = records(name, text)?.into_iter();
    let Some((_, header)) = recs.next() else {
        bail!(
            "{name}: the file is empty (the first line is the header: one --set key path per column)"
        );
    };
    let columns: Vec<String> = header.iter().map(|h| h.trim().to_string()).collect();
    let mut rows = Vec::new();
    for (line, fields) in recs {
        let at = format!("{name}:{line}");
        if fields.len() != columns.len() {
            bail!(
                "{at}: {} fields, but the header names {} columns",
                fields.len(),
                columns.len()
            );
        }
        let row = fields
            .iter()
            .zip(&columns)
            .map(|(f, c)| {
                Ok(Cell {
                    value: parse_cell(f, &at, c)?,
                    at: at.clone(),
                })
            })
            .collect::<Result<Vec<Cell>>>()?;
        rows.push(row);
    }
    Ok((columns, rows))
}

fn parquet_cells(name: &str, path: &Path) -> Result<(Vec<String>, Vec<Vec<Cell>>)> {
    let frame = crate::output::read_parquet(path)?;
    let columns: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let mut rows: Vec<Vec<Cell>> = (0..frame.height()).map(|_| Vec::new()).collect();
    for col in frame.columns() {
        let c = col.name().to_string();
        let dtype = col.dtype().clone();
        let col = match dtype {
            DataType::Categorical(..) | DataType::Enum(..) => col.cast(&DataType::String)?,
            _ => col.clone(),
        };
        for (i, row) in rows.iter_mut().enumerate() {
            let at = format!("{name}: row {}", i + 1);
            let value = match col.get(i)? {
                AnyValue::Null => {
                    bail!(
                        "{at}: column `{c}`: empty cell (every point needs a value in every column)"
                    )
                }
                AnyValue::Boolean(b) => Value::Other(toml::Value::Boolean(b)),
                AnyValue::String(s) => Value::Other(toml::Value::String(s.to_string())),
                AnyValue::StringOwned(s) => Value::Other(toml::Value::String(s.to_string())),
                AnyValue::Float32(x) => finite(x as f64, &at, &c)?,
                AnyValue::Float64(x) => finite(x, &at, &c)?,
                v if dtype.is_integer() => Value::Int(
                    v.extract::<i64>()
                        .with_context(|| format!("{at}: column `{c}`: {v} does not fit an i64"))?,
                ),
                v => bail!("{at}: column `{c}`: values of type {dtype} are not supported ({v})"),
            };
            row.push(Cell { value, at });
        }
    }
    Ok((columns, rows))
}

fn finite(x: f64, at: &str, column: &str) -> Result<Value> {
    if !x.is_finite() {
        bail!("{at}: column `{column}`: {x} is not a finite number");
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
        assert_eq!(f.rows[0][2], Value::Other(toml::Value::Boolean(true)));
        assert_eq!(
            f.rows[0][3],
            Value::Other(toml::Value::String("Kenya, \"KE\"".into()))
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
