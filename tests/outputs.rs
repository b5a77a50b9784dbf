//! The tables as files a user combines: two runs' tables concatenate and join without casts, keyed by
//! stable ids that never mix up labs; detail levels and samples of labs record what they say.

mod common;
use common::*;
use fracture::output::{Manifest, read_parquet, write_run};
use fracture::{Detail, Recording};
use polars::prelude::*;
use std::path::Path;

fn write(s: &fracture::scenario::Scenario, seed: u64, recording: Recording, dir: &Path) {
    let out = fracture::simulate_with(s, seed, recording, |_| {}).unwrap();
    let mut manifest = Manifest::new(s, seed, vec![]);
    manifest.record(&out, recording.detail);
    write_run(dir, &out, &manifest, false).unwrap();
}

fn read(dir: &Path, table: &str) -> DataFrame {
    read_parquet(&dir.join(format!("{table}.parquet"))).unwrap()
}

/// A lab's rows (by population and member), month by month, of one column.
fn lab_series(labs: &DataFrame, population: &str, member: u32, column: &str) -> Vec<f64> {
    let mask = labs
        .column("population")
        .unwrap()
        .str()
        .unwrap()
        .equal(population)
        & labs.column("member").unwrap().u32().unwrap().equal(member);
    f64s(&labs.filter(&mask).unwrap(), column)
}

#[test]
fn two_runs_with_other_lab_populations_concatenate_and_join_without_casts() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let first = scenario("", 6, &[]);
    // The second run has another world of labs: a population more, one smaller, one lab fewer —
    // every lab left sorts elsewhere among the others, and its row sits at another position.
    let second = scenario(
        r#"
[[lab]]
id = "aa-extra"
nation = "KE"
kind = "startup"
count = 30
budget = 5e-05
[remove]
lab = ["deepseek"]
"#,
        6,
        &["lab.ke-academic.count=5"],
    );
    assert!(first.lab.iter().any(|l| l.id == "deepseek"));
    write(&first, 1, Detail::Full.into(), &a);
    write(&second, 1, Detail::Full.into(), &b);

    for table in TABLES {
        let (x, y) = (read(&a, table), read(&b, table));
        assert_eq!(x.schema(), y.schema(), "{table}: the runs' schemas differ");
        // Id columns are plain strings: nothing to cast.
        for (name, dtype) in x.schema().iter() {
            assert!(
                !matches!(dtype, DataType::Categorical(..) | DataType::Enum(..)),
                "{table}.{name} is {dtype:?}"
            );
        }
        let mut both = x.clone();
        both.vstack_mut(&y).unwrap();
        assert_eq!(both.height(), x.height() + y.height(), "{table}");
    }
    let (la, lb) = (read(&a, "labs"), read(&b, "labs"));
    for column in ["month", "population", "nation", "kind", "main_provider"] {
        assert_eq!(
            la.column(column).unwrap().dtype(),
            &DataType::String,
            "{column}"
        );
    }
    assert_eq!(la.column("member").unwrap().dtype(), &DataType::UInt32);

    // Joined on the key: labs in both runs meet their own rows, never another lab's.
    let joined = la
        .join(
            &lb,
            ["population", "member", "t"],
            ["population", "member", "t"],
            JoinArgs::new(JoinType::Inner),
            None,
        )
        .unwrap();
    let ids_a = strs(&read(&a, "lab_ids"), "lab");
    let ids_b = strs(&read(&b, "lab_ids"), "lab");
    let common: Vec<&String> = ids_a.iter().filter(|id| ids_b.contains(id)).collect();
    assert_eq!(
        common.len(),
        ids_a.len() - 1 - 7,
        "deepseek and ke-academic-0006…0012"
    );
    assert_eq!(joined.height(), 6 * common.len());
    // The same lab in both: its nation and kind agree, and its rows are its own in each run.
    assert_eq!(strs(&joined, "nation"), strs(&joined, "nation_right"));
    assert_eq!(strs(&joined, "kind"), strs(&joined, "kind_right"));
    for (population, member) in [("openai", 0), ("ke-academic", 3), ("ke-academic", 5)] {
        let mask = joined
            .column("population")
            .unwrap()
            .str()
            .unwrap()
            .equal(population)
            & joined
                .column("member")
                .unwrap()
                .u32()
                .unwrap()
                .equal(member);
        let rows = joined.filter(&mask).unwrap();
        assert_eq!(rows.height(), 6, "{population} {member}");
        assert_eq!(
            f64s(&rows, "budget_busd"),
            lab_series(&la, population, member, "budget_busd")
        );
        assert_eq!(
            f64s(&rows, "budget_busd_right"),
            lab_series(&lb, population, member, "budget_busd")
        );
    }
    // A lab only in the second run has no partner.
    let extra = joined
        .column("population")
        .unwrap()
        .str()
        .unwrap()
        .equal("aa-extra");
    assert!(!extra.any());
    assert_eq!(lab_series(&lb, "aa-extra", 30, "budget_busd").len(), 6);

    // lab_ids carries the ids events use: joined to the labs table it names every row.
    let named = la
        .join(
            &read(&a, "lab_ids"),
            ["population", "member"],
            ["population", "member"],
            JoinArgs::new(JoinType::Inner),
            None,
        )
        .unwrap();
    assert_eq!(named.height(), la.height());
}

#[test]
fn detail_levels_record_what_they_say() {
    let s = scenario("", 6, &["parameters.false_positive_rate=0.002"]);
    let full = fracture::simulate_with(&s, 3, Detail::Full, |_| {}).unwrap();
    let nations = fracture::simulate_with(&s, 3, Detail::Nations, |_| {}).unwrap();
    let summary = fracture::simulate_with(&s, 3, Detail::Summary, |_| {}).unwrap();
    for (name, kept) in [("nations", &nations), ("summary", &summary)] {
        for (table, a, b) in [
            ("global", &full.global, &kept.global),
            ("nations", &full.nations, &kept.nations),
            ("providers", &full.providers, &kept.providers),
            ("fabs", &full.fabs, &kept.fabs),
        ] {
            assert!(
                a.equals_missing(b),
                "{name}: {table} differs from a full run's"
            );
        }
        assert_eq!(kept.labs.height(), 0, "{name}");
        assert_eq!(kept.lab_ids.height(), 0, "{name}");
        assert_eq!(kept.labs.schema(), full.labs.schema(), "{name}");
        assert_eq!(kept.rows["labs"], 0);
    }
    assert!(nations.usage.equals_missing(&full.usage));
    assert!(nations.events.equals_missing(&full.events));
    assert!(full.events.height() > 0);
    assert_eq!(summary.usage.height(), 0);
    assert!(
        summary
            .events
            .equals_missing(&common::policy_events(&full.events))
    );
    assert_eq!(full.rows["labs"], full.labs.height());
    assert_eq!(full.sample.labs * 6, full.labs.height());
    assert_eq!(full.sample.of, full.sample.labs);
}

#[test]
fn a_sample_of_labs_keeps_every_lab_of_its_own_and_n_members_of_each_population() {
    let s = scenario("", 4, &["lab.ke-academic.count=12"]);
    let full = fracture::simulate_with(&s, 9, Detail::Full, |_| {}).unwrap();
    let recording = Recording {
        detail: Detail::Full,
        lab_sample: Some(3),
    };
    let sampled = fracture::simulate_with(&s, 9, recording, |_| {}).unwrap();
    let own = s.lab.iter().filter(|l| l.count == 1).count();
    let populations: Vec<_> = s.lab.iter().filter(|l| l.count > 1).collect();
    let expected = own
        + populations
            .iter()
            .map(|l| l.count.min(3) as usize)
            .sum::<usize>();
    assert_eq!(sampled.sample.labs, expected);
    assert_eq!(sampled.sample.of, full.sample.labs);
    assert_eq!(sampled.sample.per_population, Some(3));
    assert_eq!(sampled.labs.height(), 4 * expected);
    // ke-academic: 12 members, three kept from the middles of thirds; weight 4 each.
    let ids = sampled.lab_ids.clone();
    let mask = ids
        .column("population")
        .unwrap()
        .str()
        .unwrap()
        .equal("ke-academic");
    let ke = ids.filter(&mask).unwrap();
    assert_eq!(f64s(&ke, "member"), [3.0, 7.0, 11.0]);
    assert_eq!(f64s(&ke, "weight"), [4.0, 4.0, 4.0]);
    assert_eq!(
        strs(&ke, "lab"),
        ["ke-academic-0003", "ke-academic-0007", "ke-academic-0011"]
    );
    // A sampled lab's rows are the rows it has in the full table: sampling changes no number.
    for (population, member) in [("openai", 0), ("ke-academic", 7)] {
        for column in ["compute_h100e", "capability", "unmet_h100e"] {
            assert_eq!(
                lab_series(&sampled.labs, population, member, column),
                lab_series(&full.labs, population, member, column),
                "{population} {member} {column}"
            );
        }
    }
    for (table, a, b) in [
        ("global", &full.global, &sampled.global),
        ("nations", &full.nations, &sampled.nations),
        ("events", &full.events, &sampled.events),
    ] {
        assert!(a.equals_missing(b), "{table} differs with a sample of labs");
    }
}

#[test]
fn a_writer_that_fails_stops_the_run_with_its_error() {
    let s = scenario("", 60, &[]);
    let mut sink = |table: &'static str, _rows: fracture::tables::Table| -> anyhow::Result<()> {
        anyhow::bail!("no space left writing {table}")
    };
    let mut months = 0;
    let e = fracture::simulate_into(
        &s,
        1,
        Detail::Full,
        |m| months = m,
        fracture::LargeTables::Stream(&mut sink),
    )
    .unwrap_err();
    assert!(e.to_string().contains("no space left writing labs"), "{e}");
    // The first chunk (24 months) failed; the run stopped when it next had one to hand over.
    assert!(months < 60, "the run went on to month {months}");
}
