//! A run as its readers see it — the charts, the comparison, the printed summary, the report and the
//! seed ensemble: the global, nations and events tables, with the scenario's name, story, blocs and
//! focus nations from its manifest. Built from a run in memory or read back from a run folder, so `run`
//! and `plot` draw and say the same. (Not part of the charts: analysis reads it without drawing.)

use crate::output::Outputs;
use crate::output::{COUNTERFACTUAL_DIR, read_parquet};
use crate::scenario::Scenario;
use anyhow::{Context, Result, anyhow};
use polars::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use crate::scenario::MAX_FOCUS;

/// The nations singled out when neither `--focus` nor the scenario names any.
pub const DEFAULT_FOCUS: [&str; 5] = ["KE", "BR", "IN", "US", "CN"];

#[derive(Clone, Debug, PartialEq)]
pub struct BlocInfo {
    /// The id, as in the column suffixes (`compute_share_<id>`).
    pub id: String,
    /// The display name from the scenario, or the id.
    pub name: String,
}

/// A line's points: (month number, value).
pub type Points = Vec<(f64, f64)>;

/// One run, as the charts see it.
#[derive(Clone, Debug)]
pub struct RunData {
    pub name: String,
    pub description: String,
    /// The run folder's name when read from disk: it tells runs of one scenario apart in comparisons.
    pub folder: Option<String>,
    pub seed: Option<u64>,
    /// In column order, which is the scenario's order: the first bloc is the one `alignment_*` and the
    /// capability gap are measured from.
    pub blocs: Vec<BlocInfo>,
    pub focus: Vec<String>,
    pub nation_names: BTreeMap<String, String>,
    pub global: DataFrame,
    pub nations: DataFrame,
    pub events: DataFrame,
    /// The clouds' monthly books (`providers.parquet`); empty for a counterfactual, which keeps none.
    pub providers: DataFrame,
    /// Month numbers (`year * 12 + month - 1`) of the global table's rows.
    pub months: Vec<f64>,
    month_labels: Vec<String>,
    /// The resolved scenario from the manifest (`None` when there is none, or it does not read as one
    /// of this version's scenarios).
    pub scenario: Option<Scenario>,
    /// For a story: its counterfactual run with the same seed (the `counterfactual/` folder of a run
    /// folder), with the same focus nations.
    pub counterfactual: Option<Box<RunData>>,
}

/// One provider's monthly values of a column of the providers table.
#[derive(Clone, Debug)]
pub struct ProviderSeries {
    pub id: String,
    /// The id of the bloc the provider belongs to.
    pub bloc: String,
    pub points: Vec<(f64, f64)>,
}

impl RunData {
    /// From a run in memory and its manifest (as JSON, so that old and new manifests read alike).
    /// `focus` overrides the scenario's focus list; an empty list means the scenario's, then the default.
    pub fn new(outputs: &Outputs, manifest: &Value, focus: &[String]) -> Result<Self> {
        let mut data = Self::from_frames(
            outputs.global.clone(),
            outputs.nations.clone(),
            outputs.events.clone(),
            manifest,
            focus,
            None,
        )?;
        data.providers = outputs.providers.clone();
        Ok(data)
    }

    /// Reads a run folder written by `fracture run`: `global`, `nations` and `events` Parquet and
    /// `manifest.json` (optional: without it the folder name stands for the scenario's).
    ///
    /// A story's run folder holds its counterfactual in `counterfactual/` (`global`, `nations` and a
    /// manifest): it is read into [`RunData::counterfactual`].
    pub fn read(dir: &Path, focus: &[String]) -> Result<Self> {
        let mut data = Self::read_one(dir, focus)?;
        let counterfactual = dir.join(COUNTERFACTUAL_DIR);
        if counterfactual.join("manifest.json").is_file() {
            let focus = data.focus.clone();
            data.counterfactual = Some(Box::new(
                Self::read_one(&counterfactual, &focus)
                    .with_context(|| format!("cannot read {}", counterfactual.display()))?,
            ));
        }
        Ok(data)
    }

    /// Attaches a story's counterfactual run.
    pub fn with_counterfactual(mut self, counterfactual: RunData) -> Self {
        self.counterfactual = Some(Box::new(counterfactual));
        self
    }

    fn read_one(dir: &Path, focus: &[String]) -> Result<Self> {
        if !dir.is_dir() {
            anyhow::bail!("{} is not a run folder", dir.display());
        }
        let global = read_parquet(&dir.join("global.parquet"))?;
        let nations = read_parquet(&dir.join("nations.parquet"))?;
        // A counterfactual keeps no events table.
        let events_file = dir.join("events.parquet");
        let events = if events_file.is_file() {
            read_parquet(&events_file)?
        } else {
            DataFrame::empty()
        };
        let manifest_path = dir.join("manifest.json");
        let manifest: Value = if manifest_path.is_file() {
            // Read, not trusted: a regular file of bounded size (a sparse terabyte once asked for
            // all of it).
            let text = crate::fsutil::read_text(&manifest_path, crate::fsutil::MAX_INPUT_BYTES)
                .with_context(|| format!("cannot read {}", manifest_path.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not valid JSON", manifest_path.display()))?
        } else {
            Value::Null
        };
        let folder = dir
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
        let mut data = Self::from_frames(global, nations, events, &manifest, focus, folder)?;
        let providers_file = dir.join("providers.parquet");
        if providers_file.is_file() {
            data.providers = read_parquet(&providers_file)?;
        }
        Ok(data)
    }

    fn from_frames(
        global: DataFrame,
        nations: DataFrame,
        events: DataFrame,
        manifest: &Value,
        focus: &[String],
        folder: Option<String>,
    ) -> Result<Self> {
        let meta = &manifest["scenario"]["scenario"];
        let name = manifest["scenario_name"]
            .as_str()
            .or_else(|| meta["name"].as_str())
            .map(str::to_string)
            .or_else(|| folder.clone())
            .unwrap_or_else(|| "run".into());
        let description = meta["description"].as_str().unwrap_or("").to_string();
        let seed = manifest["seed"].as_u64();

        let bloc_names = names_by_id(&manifest["scenario"]["bloc"]);
        let blocs: Vec<BlocInfo> = global
            .get_column_names()
            .iter()
            .filter_map(|c| c.as_str().strip_prefix("compute_share_"))
            .filter(|b| *b != crate::tables::NON_ALIGNED)
            .map(|id| BlocInfo {
                id: id.to_string(),
                name: bloc_names
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| id.to_string()),
            })
            .collect();
        if blocs.len() < 2 {
            anyhow::bail!(
                "the global table has {} compute_share_<bloc> columns; a run has at least two blocs",
                blocs.len()
            );
        }

        let nation_names = names_by_id(&manifest["scenario"]["nation"]);

        let focus = if !focus.is_empty() {
            // The nations this run has: from the manifest, else from the nations table.
            let mut known: Vec<(String, String)> = nation_names
                .iter()
                .map(|(id, name)| (id.clone(), name.clone()))
                .collect();
            if known.is_empty() {
                let mut ids = strings(&nations, "nation").unwrap_or_default();
                ids.sort();
                ids.dedup();
                known = ids.into_iter().map(|id| (id.clone(), id)).collect();
            }
            resolve_focus(focus, &known).context("--focus")?
        } else {
            // A manifest is read, not trusted: its focus list is de-duplicated, kept to nations the run
            // has, and cut at what the charts can draw (a hand-edited list of 100 000 entries would
            // otherwise make every reader draw for minutes).
            let mut listed: Vec<String> = Vec::new();
            for id in meta["focus"].as_array().into_iter().flatten() {
                let Some(id) = id.as_str() else { continue };
                let known = nation_names.is_empty() || nation_names.contains_key(id);
                if known && !listed.iter().any(|l| l == id) {
                    listed.push(id.to_string());
                    if listed.len() == MAX_FOCUS {
                        break;
                    }
                }
            }
            if listed.is_empty() {
                DEFAULT_FOCUS.map(String::from).to_vec()
            } else {
                listed
            }
        };

        let month_labels = strings(&global, "month")?;
        let months = month_labels
            .iter()
            .map(|m| month_number(m))
            .collect::<Result<Vec<f64>>>()?;
        let scenario = serde_json::from_value::<Scenario>(manifest["scenario"].clone()).ok();
        Ok(RunData {
            scenario,
            counterfactual: None,
            name,
            description,
            folder,
            seed,
            blocs,
            focus,
            nation_names,
            global,
            nations,
            events,
            providers: DataFrame::empty(),
            months,
            month_labels,
        })
    }

    pub fn first_month(&self) -> &str {
        self.month_labels.first().map_or("–", |s| s.as_str())
    }

    pub fn last_month(&self) -> &str {
        self.month_labels.last().map_or("–", |s| s.as_str())
    }

    pub fn seed_label(&self) -> String {
        self.seed.map_or("unknown".into(), |s| s.to_string())
    }

    /// The x range of the time axes: first to last month.
    pub fn month_range(&self) -> Range<f64> {
        let first = self.months.first().copied().unwrap_or(0.0);
        let last = self.months.last().copied().unwrap_or(first);
        first..last
    }

    /// A column of the global table as (month number, value) points.
    pub fn global_series(&self, column: &str) -> Result<Vec<(f64, f64)>> {
        let v = floats(&self.global, column)?;
        Ok(self.months.iter().copied().zip(v).collect())
    }

    /// The final month's value of a global column.
    pub fn global_last(&self, column: &str) -> Option<f64> {
        floats(&self.global, column).ok()?.last().copied()
    }

    /// A column of the nations table as points per nation.
    pub fn nation_series(&self, column: &str) -> Result<BTreeMap<String, Vec<(f64, f64)>>> {
        let nation = strings(&self.nations, "nation")?;
        let month = strings(&self.nations, "month")?;
        let v = floats(&self.nations, column)?;
        let mut out: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
        for ((n, m), v) in nation.into_iter().zip(month).zip(v) {
            out.entry(n).or_default().push((month_number(&m)?, v));
        }
        for points in out.values_mut() {
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        Ok(out)
    }

    /// A column of the providers table as points per provider, with each provider's bloc: empty when
    /// the run folder has no providers table.
    pub fn provider_series(&self, column: &str) -> Result<Vec<ProviderSeries>> {
        if self.providers.height() == 0 {
            return Ok(Vec::new());
        }
        let provider = strings(&self.providers, "provider")?;
        let bloc = strings(&self.providers, "bloc")?;
        let month = strings(&self.providers, "month")?;
        let v = floats(&self.providers, column)?;
        let mut out: BTreeMap<String, ProviderSeries> = BTreeMap::new();
        for (((id, b), m), v) in provider.into_iter().zip(bloc).zip(month).zip(v) {
            let series = out.entry(id.clone()).or_insert_with(|| ProviderSeries {
                id,
                bloc: b,
                points: Vec::new(),
            });
            series.points.push((month_number(&m)?, v));
        }
        let mut out: Vec<ProviderSeries> = out.into_values().collect();
        for series in &mut out {
            series.points.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        Ok(out)
    }

    /// Each bloc's id and display name.
    pub fn bloc_names(&self) -> Vec<(String, String)> {
        self.blocs
            .iter()
            .map(|b| (b.id.clone(), b.name.clone()))
            .collect()
    }

    /// A nation's display name: `Kenya (KE)`, or the code alone when the scenario gives no name.
    pub fn nation_label(&self, id: &str) -> String {
        match self.nation_names.get(id) {
            Some(name) if name != id => format!("{name} ({id})"),
            _ => id.to_string(),
        }
    }

    /// The events of the given kinds as (month number, kind, detail), in table order.
    pub fn events_of(&self, kinds: &[&str]) -> Result<Vec<Event>> {
        if self.events.height() == 0 {
            return Ok(Vec::new());
        }
        let kind = strings(&self.events, "kind")?;
        let month = strings(&self.events, "month")?;
        let detail = strings(&self.events, "detail")?;
        let provider = strings(&self.events, "provider").unwrap_or_default();
        let target = strings(&self.events, "target").unwrap_or_default();
        let mut out = Vec::new();
        for i in 0..kind.len() {
            if kinds.contains(&kind[i].as_str()) {
                out.push(Event {
                    month: month_number(&month[i])?,
                    month_label: month[i].clone(),
                    kind: kind[i].clone(),
                    detail: detail[i].clone(),
                    provider: provider.get(i).cloned().unwrap_or_default(),
                    target: target.get(i).cloned().unwrap_or_default(),
                });
            }
        }
        Ok(out)
    }

    /// The label a comparison gives this run: the scenario's name, or the folder's when runs share one.
    pub fn label_among(&self, runs: &[RunData]) -> String {
        let clashes = runs.iter().filter(|r| r.name == self.name).count() > 1;
        match (&self.folder, clashes) {
            (Some(f), true) => f.clone(),
            _ => self.name.clone(),
        }
    }
}

/// The focus nations `requested` names — ISO codes or nation names, in any case (`ke`, `Kenya`) — as the
/// codes of `nations` (id, name), in the order given and without repeats. An unknown one is an error
/// naming it with the close matches, or every code when none is close.
pub fn resolve_focus(requested: &[String], nations: &[(String, String)]) -> Result<Vec<String>> {
    // `--focus ""` or `--focus ,` names nothing: said, not silently taken for the default.
    if !requested.is_empty() && requested.iter().all(|r| r.trim().is_empty()) {
        anyhow::bail!(
            "names no nation: give ISO codes or names, e.g. --focus KE,BR (or leave it out for the \
             scenario's own focus nations)"
        );
    }
    let mut out: Vec<String> = Vec::new();
    let mut unknown = Vec::new();
    for r in requested {
        let q = r.trim();
        if q.is_empty() {
            continue;
        }
        let found = nations
            .iter()
            .find(|(id, _)| id.eq_ignore_ascii_case(q))
            .or_else(|| {
                nations
                    .iter()
                    .find(|(_, name)| name.eq_ignore_ascii_case(q))
            });
        match found {
            Some((id, _)) if !out.contains(id) => out.push(id.clone()),
            Some(_) => {}
            None => unknown.push(q.to_string()),
        }
    }
    if unknown.is_empty() {
        if out.len() > MAX_FOCUS {
            anyhow::bail!(
                "names {} nations: at most {MAX_FOCUS} fit the charts, e.g. --focus KE,BR,IN",
                out.len()
            );
        }
        return Ok(out);
    }
    let label = |(id, name): &(String, String)| {
        if id == name {
            id.clone()
        } else {
            format!("{id} ({name})")
        }
    };
    let lines: Vec<String> = unknown
        .iter()
        .map(|q| {
            let close: Vec<String> = nations
                .iter()
                .filter(|n| is_close(q, n))
                .take(6)
                .map(label)
                .collect();
            if close.is_empty() {
                format!("unknown focus nation `{q}`")
            } else {
                format!(
                    "unknown focus nation `{q}`: did you mean {}?",
                    close.join(", ")
                )
            }
        })
        .collect();
    let mut codes: Vec<&str> = nations.iter().map(|(id, _)| id.as_str()).collect();
    codes.sort_unstable();
    anyhow::bail!(
        "{} (the run's nations: {})",
        lines.join("; "),
        codes.join(", ")
    )
}

/// Whether nation (id, name) is a likely meaning of the unknown `q`: a code one letter off, or a name
/// that starts with `q` or is a letter or two off it.
fn is_close(q: &str, (id, name): &(String, String)) -> bool {
    let (q, id, name) = (q.to_lowercase(), id.to_lowercase(), name.to_lowercase());
    (q.chars().count() <= 3 && edit_distance(&q, &id) <= 1)
        || (q.chars().count() >= 2 && name.starts_with(&q))
        || (q.chars().count() >= 4 && edit_distance(&q, &name) <= 2)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(cur)
            };
            prev = cur;
        }
    }
    row[b.len()]
}

/// A row of the events table.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub month: f64,
    pub month_label: String,
    pub kind: String,
    pub detail: String,
    pub provider: String,
    pub target: String,
}

/// `YYYY-MM` as `year * 12 + month - 1`.
pub fn month_number(label: &str) -> Result<f64> {
    let bad = || anyhow!("{label:?} is not a month (YYYY-MM)");
    let (y, m) = label.split_once('-').ok_or_else(bad)?;
    let y: i64 = y.parse().map_err(|_| bad())?;
    let m: i64 = m.parse().map_err(|_| bad())?;
    if !(1..=12).contains(&m) {
        return Err(bad());
    }
    Ok((y * 12 + m - 1) as f64)
}

/// A manifest's list of entries (blocs, nations) as id → display name (the id when the name is empty).
fn names_by_id(entries: &Value) -> BTreeMap<String, String> {
    entries
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let id = e["id"].as_str()?;
            let name = e["name"].as_str().filter(|n| !n.is_empty()).unwrap_or(id);
            Some((id.to_string(), name.to_string()))
        })
        .collect()
}

/// A numeric column as f64 (integers widened, nulls as NaN).
pub fn floats(df: &DataFrame, column: &str) -> Result<Vec<f64>> {
    let c = df
        .column(column)
        .map_err(|_| anyhow!("the table has no column {column}"))?;
    let c = c
        .cast(&DataType::Float64)
        .map_err(|e| anyhow!("column {column} is not numeric: {e}"))?;
    Ok(c.f64()
        .map_err(|e| anyhow!("column {column}: {e}"))?
        .iter()
        .map(|v| v.unwrap_or(f64::NAN))
        .collect())
}

/// A string column (nulls as empty strings).
pub fn strings(df: &DataFrame, column: &str) -> Result<Vec<String>> {
    Ok(text(df, column)?
        .str()
        .map_err(|e| anyhow!("column {column} is not text: {e}"))?
        .iter()
        .map(|v| v.unwrap_or("").to_string())
        .collect())
}

/// The rows whose `column` reads `value`, without copying the column's text: a comparison reads one
/// nation's rows once for each of its metrics.
pub fn rows_equal(df: &DataFrame, column: &str, value: &str) -> Result<Vec<usize>> {
    Ok(text(df, column)?
        .str()
        .map_err(|e| anyhow!("column {column} is not text: {e}"))?
        .iter()
        .enumerate()
        .filter(|(_, v)| v.unwrap_or("") == value)
        .map(|(i, _)| i)
        .collect())
}

/// A string column's values at `rows` (nulls as empty strings).
pub fn strings_at(df: &DataFrame, column: &str, rows: &[usize]) -> Result<Vec<String>> {
    let c = text(df, column)?;
    let c = c
        .str()
        .map_err(|e| anyhow!("column {column} is not text: {e}"))?;
    Ok(rows
        .iter()
        .map(|&i| c.get(i).unwrap_or("").to_string())
        .collect())
}

fn text(df: &DataFrame, column: &str) -> Result<Column> {
    df.column(column)
        .map_err(|_| anyhow!("the table has no column {column}"))?
        .cast(&DataType::String)
        .map_err(|e| anyhow!("column {column} is not text: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nations() -> Vec<(String, String)> {
        [
            ("KE", "Kenya"),
            ("BR", "Brazil"),
            ("ZA", "South Africa"),
            ("ZM", "Zambia"),
            ("US", "United States"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
    }

    #[test]
    fn focus_codes_and_names_match_in_any_case_without_repeats() {
        let r = |q: &[&str]| {
            resolve_focus(
                &q.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                &nations(),
            )
        };
        assert_eq!(r(&["ke", "BR"]).unwrap(), ["KE", "BR"]);
        assert_eq!(r(&["Kenya", "KE", " us "]).unwrap(), ["KE", "US"]);
        let e = r(&["ke", "ZZ"]).unwrap_err().to_string();
        assert!(
            e.contains("`ZZ`") && e.contains("ZA (South Africa)") && e.contains("ZM (Zambia)"),
            "{e}"
        );
        assert!(!e.contains("KE (Kenya)"), "not close: {e}");
        assert!(e.contains("the run's nations: BR, KE, US, ZA, ZM"), "{e}");
        let e = r(&["kenia"]).unwrap_err().to_string();
        assert!(e.contains("did you mean KE (Kenya)?"), "{e}");
        let e = r(&["Q"]).unwrap_err().to_string();
        assert!(e.contains("unknown focus nation `Q` (the run"), "{e}");
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
