//! Sweeps whose points come from a file (`design = "file"`, CSV or Parquet), and `sweep export`, the flat
//! table scenario discovery reads. The runs are tiny (6 months): the debug build is slow.

mod common;

use fracture::sweep::export::{self, Per};
use fracture::sweep::{Prepared, RunOptions, SweepSpec, dataset};
use polars::prelude::*;
use std::path::Path;

const SPEC: &str = r#"
[sweep]
name = "from-file"
scenario = "baseline"
set = ["scenario.months=6"]
design = "file"
file = "points.csv"
replicates = 2
seed = 3
chunk = 4

[outputs]
metrics = ["bifurcation_index", "unmet_share"]
focus = ["KE"]
"#;

const POINTS: &str = "parameters.beta,policy.us-chip-controls.strength\n1.5,0.0\n3,0.5\n2.25,1\n";

fn floats(frame: &DataFrame, column: &str) -> Vec<f64> {
    frame
        .column(column)
        .unwrap_or_else(|_| panic!("no column {column}"))
        .cast(&DataType::Float64)
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect()
}

fn run(dir: &Path, spec: &Path) -> Prepared {
    let p = Prepared::new(&SweepSpec::read(spec).unwrap()).unwrap();
    p.plan(1).write_or_check(dir).unwrap();
    let options = RunOptions {
        threads: Some(2),
        ..Default::default()
    };
    p.run_shard(dir, 0, 1, &options).unwrap();
    p
}

#[test]
fn a_file_design_runs_the_files_points_and_its_bytes_are_in_the_spec_hash() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("spec.toml");
    std::fs::write(&spec, SPEC).unwrap();
    std::fs::write(tmp.path().join("points.csv"), POINTS).unwrap();

    // Every column is a parameter when the spec names none.
    let file = SweepSpec::read(&spec).unwrap();
    let keys: Vec<&str> = file
        .spec
        .parameters
        .iter()
        .map(|p| p.key.as_str())
        .collect();
    assert_eq!(
        keys,
        ["parameters.beta", "policy.us-chip-controls.strength"]
    );
    let out = tmp.path().join("out");
    let p = run(&out, &spec);
    assert_eq!(p.runs, 3 * 2);
    let rows = dataset::read_all(&dataset::locate(&out).unwrap()).unwrap();
    assert_eq!(
        floats(&rows, "parameters.beta"),
        [1.5, 1.5, 3.0, 3.0, 2.25, 2.25]
    );
    assert_eq!(
        floats(&rows, "policy.us-chip-controls.strength"),
        [0.0, 0.0, 0.5, 0.5, 1.0, 1.0]
    );
    let status = rows.column("status").unwrap().str().unwrap();
    assert!(status.iter().all(|s| s == Some("ok")));

    // The same points from Parquet: the same runs.
    let mut frame = df!(
        "parameters.beta" => [1.5, 3.0, 2.25],
        "policy.us-chip-controls.strength" => [0.0, 0.5, 1.0],
    )
    .unwrap();
    let parquet = tmp.path().join("points.parquet");
    ParquetWriter::new(std::fs::File::create(&parquet).unwrap())
        .finish(&mut frame)
        .unwrap();
    let spec_pq = tmp.path().join("spec-pq.toml");
    std::fs::write(&spec_pq, SPEC.replace("points.csv", "points.parquet")).unwrap();
    let out_pq = tmp.path().join("out-pq");
    let q = run(&out_pq, &spec_pq);
    assert_ne!(p.spec_hash, q.spec_hash, "other file bytes, another hash");
    let rows_pq = dataset::read_all(&dataset::locate(&out_pq).unwrap()).unwrap();
    for c in [
        "parameters.beta",
        "bifurcation_index_final",
        "unmet_share_mean",
    ] {
        assert_eq!(floats(&rows, c), floats(&rows_pq, c), "{c}");
    }

    // A changed file is refused on resume, like a changed spec.
    std::fs::write(tmp.path().join("points.csv"), POINTS.replace("2.25", "2.5")).unwrap();
    let again = common::command()
        .args(["sweep", "run"])
        .arg(&spec)
        .arg("--out")
        .arg(&out)
        .arg("--resume")
        .output()
        .unwrap();
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("planned from another spec"), "{err}");
}

#[test]
fn parameters_pick_and_name_columns_and_bad_specs_or_files_say_where() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(
        dir.join("points.csv"),
        "scenario,parameters.beta,scenario.months\nbase,1.5,6.0\nbase,2.5,5.0\n",
    )
    .unwrap();
    let picked = SPEC.to_string()
        + "\n[[parameter]]\nkey = \"parameters.beta\"\nname = \"beta\"\n\n[[parameter]]\nkey = \"scenario.months\"\ninteger = true\n";
    let spec = dir.join("picked.toml");
    std::fs::write(&spec, &picked).unwrap();
    let file = SweepSpec::read(&spec).unwrap();
    let points = &file.points.as_ref().unwrap().points;
    use fracture::sweep::design::Value;
    assert_eq!(
        points[0],
        [Value::Float(1.5), Value::Int(6)],
        "picked columns in parameter order; `integer` rounds"
    );
    assert_eq!(points[1][1], Value::Int(5));

    let err = |text: &str, points: &str| -> String {
        std::fs::write(dir.join("points.csv"), points).unwrap();
        let spec = dir.join("bad.toml");
        std::fs::write(&spec, text).unwrap();
        format!("{:#}", SweepSpec::read(&spec).unwrap_err())
    };
    // The other columns of the file, here a non-key `scenario`, stop a spec that names no parameters.
    let e = err(SPEC, "scenario,parameters.beta\nbase,1.5\n");
    assert!(
        e.contains("column `scenario` is not a --set key path"),
        "{e}"
    );
    let e = err(&picked.replace("scenario.months", "scenario.seed"), POINTS);
    assert!(
        e.contains("points.csv") && e.contains("no column `scenario.seed`"),
        "{e}"
    );
    let e = err(&SPEC.replace("file = \"points.csv\"\n", ""), POINTS);
    assert!(e.contains("`sweep.file`"), "{e}");
    let e = err(
        &(SPEC.to_string() + "\n[[parameter]]\nkey = \"parameters.beta\"\nvalues = [1]\n"),
        POINTS,
    );
    assert!(
        e.contains("`parameter[0].key`") && e.contains("from the file"),
        "{e}"
    );
    let e = err(SPEC, "parameters.beta\n1.5\nhigh\n");
    assert!(
        e.contains("points.csv:3:") && e.contains("`parameters.beta`") && e.contains("high"),
        "{e}"
    );
    let e = err(
        &SPEC.replace("design = \"file\"", "design = \"lhs\"\nsamples = 2"),
        POINTS,
    );
    assert!(e.contains("only for design = \"file\""), "{e}");
}

#[test]
fn export_gives_one_row_per_point_or_run_with_inputs_by_key_path() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("spec.toml");
    std::fs::write(&spec, SPEC).unwrap();
    std::fs::write(tmp.path().join("points.csv"), POINTS).unwrap();
    let out = tmp.path().join("out");
    run(&out, &spec);
    let runs = dataset::read_all(&dataset::locate(&out).unwrap()).unwrap();

    let per_point = export::table(&out, Per::Point).unwrap();
    assert_eq!(per_point.height(), 3);
    let names: Vec<String> = per_point
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(
        &names[..4],
        [
            "point",
            "parameters.beta",
            "policy.us-chip-controls.strength",
            "runs"
        ]
    );
    assert!(names.contains(&"bifurcation_index_final".to_string()));
    assert!(names.contains(&"compute_per_capita_KE_max".to_string()));
    assert_eq!(floats(&per_point, "parameters.beta"), [1.5, 3.0, 2.25]);
    assert_eq!(floats(&per_point, "runs"), [2.0, 2.0, 2.0]);
    // A point's outcome is the mean of its replicates.
    let finals = floats(&runs, "unmet_share_final");
    let means = floats(&per_point, "unmet_share_final");
    for p in 0..3 {
        let want = (finals[2 * p] + finals[2 * p + 1]) / 2.0;
        assert!((means[p] - want).abs() < 1e-12, "point {p}");
    }
    let outcomes = export::outcome_columns(&per_point);
    assert!(outcomes.iter().all(|c| !c.contains('.') && c != "runs"));

    let per_run = export::table(&out, Per::Run).unwrap();
    assert_eq!(per_run.height(), 6);
    assert_eq!(floats(&per_run, "unmet_share_final"), finals);

    // Through the CLI, as CSV: the inputs are a valid design file for the same points.
    let csv = tmp.path().join("export.csv");
    let o = common::command()
        .args(["sweep", "export"])
        .arg(&out)
        .arg("--out")
        .arg(&csv)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("3 rows (2 inputs"));
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("point,parameters.beta,policy.us-chip-controls.strength,runs,"));
    assert_eq!(text.lines().count(), 4);
    let again = fracture::sweep::points_file::PointsFile::read(&csv).unwrap();
    assert_eq!(again.rows.len(), 3);
    let beta = again.column_of("parameters.beta").unwrap();
    assert_eq!(
        again.rows[2][beta],
        fracture::sweep::design::Value::Float(2.25)
    );
    // Parquet by extension; the default file sits beside the dataset.
    let pq = tmp.path().join("export.parquet");
    export::write(&per_point, &pq).unwrap();
    let back = fracture::output::read_parquet(&pq).unwrap();
    assert!(back.equals_missing(&per_point));
    assert_eq!(
        export::default_path(&out).unwrap(),
        out.join("_export-from-file.csv")
    );
    assert!(export::write(&per_point, &tmp.path().join("x.xlsx")).is_err());
}

/// A key the base scenario refuses is blamed on the design file when the key came from its header (the
/// sweep file names no parameters), at line 1 with its column; when the sweep file names the key, on
/// the sweep file's key, with the row whose value was tried.
#[test]
fn a_refused_column_is_blamed_on_the_design_files_header() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("spec.toml");
    std::fs::write(&spec, SPEC).unwrap();
    std::fs::write(
        tmp.path().join("points.csv"),
        "parameters.betta,policy.us-chip-controls.strength\n2,0.5\n",
    )
    .unwrap();
    let e = format!(
        "{:#}",
        Prepared::new(&SweepSpec::read(&spec).unwrap()).unwrap_err()
    );
    assert!(
        e.contains("points.csv:1: `parameters.betta`: the header's column 1")
            && e.contains("did you mean `beta`?"),
        "{e}"
    );
    assert!(
        !e.contains("spec.toml"),
        "the sweep file is not to blame: {e}"
    );

    let named = SPEC.replace(
        "[outputs]",
        "[[parameter]]\nkey = \"parameters.betta\"\n\n[outputs]",
    );
    std::fs::write(&spec, named).unwrap();
    std::fs::write(tmp.path().join("points.csv"), "parameters.betta\n2\n").unwrap();
    let e = format!(
        "{:#}",
        Prepared::new(&SweepSpec::read(&spec).unwrap()).unwrap_err()
    );
    assert!(
        e.contains("spec.toml:") && e.contains("`parameter[0].key`") && e.contains("points.csv:2"),
        "{e}"
    );
}

/// A column of whole numbers with one that is not whole is read as floats: a key that takes whole
/// numbers refuses it at the line of the float, not at the first (good) line.
#[test]
fn a_column_read_as_floats_is_blamed_on_its_first_float() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("spec.toml");
    std::fs::write(&spec, SPEC).unwrap();
    std::fs::write(
        tmp.path().join("points.csv"),
        "parameters.beta,parameters.reoffer_rounds\n2,3\n2,3\n3,3.5\n",
    )
    .unwrap();
    let e = format!(
        "{:#}",
        Prepared::new(&SweepSpec::read(&spec).unwrap()).unwrap_err()
    );
    assert!(
        e.contains(
            "points.csv:4: `parameters.reoffer_rounds`: column 2 holds a number that is not whole \
             (line 4), so all its values are read as floats"
        ),
        "{e}"
    );
}

/// A design file that cannot be read is blamed on the sweep file's `file` key, and one without an
/// extension is told so.
#[test]
fn an_unreadable_design_file_is_blamed_on_the_key_that_names_it() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("spec.toml");
    for (file, said) in [
        (
            "points",
            "points: a design file is .csv or .parquet (by its extension), this one has no extension",
        ),
        ("points.txt", "not `.txt`"),
        ("nope.csv", "cannot read the design file"),
    ] {
        std::fs::write(tmp.path().join(file), POINTS).unwrap();
        if file == "nope.csv" {
            std::fs::remove_file(tmp.path().join(file)).unwrap();
        }
        std::fs::write(&spec, SPEC.replace("points.csv", file)).unwrap();
        let e = format!("{:#}", SweepSpec::read(&spec).unwrap_err());
        assert!(
            e.contains("spec.toml:7:1: `sweep.file`: ") && e.contains(said),
            "{file}: {e}"
        );
    }
}

/// `sweep dump` keeps a row on a line whatever a cell holds (an error row's message may hold a
/// newline or a tab, which split the row in two).
#[test]
fn a_dumped_row_stays_on_one_line() {
    let frame = df!(
        "run_id" => [0u32, 1],
        "error" => ["fine", "bad\nNLX\tvalue"]
    )
    .unwrap();
    let text = dataset::to_text(&frame).unwrap();
    assert_eq!(text.lines().count(), 3, "{text:?}");
    assert!(text.contains("bad\\nNLX\\tvalue"), "{text:?}");
}

/// A value the base scenario refuses anywhere in a design — not only in its first row — is refused
/// before anything runs, at the design file's line and column (it once became an error row per run); so
/// is a value a spec lists but the draws missed.
#[test]
fn a_refused_value_in_any_row_or_list_is_refused_when_planned() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = tmp.path().join("spec.toml");
    std::fs::write(&spec, SPEC).unwrap();
    std::fs::write(
        tmp.path().join("points.csv"),
        "parameters.beta,policy.us-chip-controls.strength\n2,0.5\n3,0.2\n2,1.5\n",
    )
    .unwrap();
    let e = format!(
        "{:#}",
        Prepared::new(&SweepSpec::read(&spec).unwrap()).unwrap_err()
    );
    assert!(
        e.contains("points.csv:4: `policy.us-chip-controls.strength`: column 2: the design's largest value, 1.5"),
        "{e}"
    );
    let listed = "[sweep]\nname = \"l\"\nscenario = \"baseline\"\ndesign = \"random\"\nsamples = 2\n\
                  [[parameter]]\nkey = \"scenario.months\"\nvalues = [12, 1201]\n";
    let e = format!(
        "{:#}",
        Prepared::from_spec(
            SweepSpec::parse("l.toml", listed).unwrap(),
            "baseline".into()
        )
        .unwrap_err()
    );
    assert!(e.contains("largest possible value, 1201"), "{e}");
}
