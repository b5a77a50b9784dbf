//! Same scenario and seed ⇒ byte-identical Parquet; different seeds differ where the model is stochastic.

mod common;
use common::*;
use fracture::output::{Manifest, write_run};

fn write(s: &fracture::scenario::Scenario, seed: u64, dir: &std::path::Path) {
    let out = fracture::simulate(s, seed).unwrap();
    write_run(dir, &out, &Manifest::new(s, seed, vec![]), false).unwrap();
}

#[test]
fn same_seed_gives_byte_identical_parquet() {
    let s = scenario("", 24, &[]);
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    write(&s, 7, &a);
    write(&s, 7, &b);
    for table in TABLES {
        let file = format!("{table}.parquet");
        let x = std::fs::read(a.join(&file)).unwrap();
        let y = std::fs::read(b.join(&file)).unwrap();
        assert!(!x.is_empty());
        assert!(x == y, "{file} differs between two runs with the same seed");
    }
}

#[test]
fn different_seeds_differ_where_the_model_is_stochastic() {
    let s = scenario("", 24, &["parameters.false_positive_rate=0.002"]);
    let a = fracture::simulate(&s, 1).unwrap();
    let b = fracture::simulate(&s, 2).unwrap();
    assert_ne!(global(&a, "smuggled_h100e"), global(&b, "smuggled_h100e"));
    assert_ne!(events(&a, "theft_detected"), events(&b, "theft_detected"));
    // The deterministic parts do not move: production is the same.
    assert_eq!(
        global(&a, "produced_h100e_cum")[0],
        global(&b, "produced_h100e_cum")[0]
    );
}

#[test]
fn a_summary_run_records_the_same_global_and_nation_tables_without_lab_rows_and_only_policy_events()
{
    let s = scenario("", 12, &["parameters.false_positive_rate=0.002"]);
    let full = fracture::simulate(&s, 3).unwrap();
    let summary = fracture::simulate_with(&s, 3, fracture::Detail::Summary, |_| {}).unwrap();
    assert!(full.labs.height() > 1000);
    for (name, a, b) in [
        ("global", &full.global, &summary.global),
        ("nations", &full.nations, &summary.nations),
        ("providers", &full.providers, &summary.providers),
    ] {
        assert!(
            a.equals_missing(b),
            "{name} differs between a full and a summary run"
        );
    }
    assert_eq!(summary.labs.height(), 0);
    assert_eq!(summary.usage.height(), 0);
    // Of the events, only the policies' and triggers' (the labs' accusations are many and left out).
    let kept = common::policy_events(&full.events);
    assert!(kept.height() > 0 && kept.height() < full.events.height());
    assert!(summary.events.equals_missing(&kept));
    assert_eq!(summary.events.schema(), full.events.schema());
    assert_eq!(summary.labs.schema(), full.labs.schema());
}

/// `fracture run` writes the large tables' row groups while the months run; the files must be the ones
/// writing the kept tables at the end gives. 30 months: a chunk of 24 and a short one.
#[test]
fn tables_written_during_the_run_give_the_same_bytes() {
    let s = scenario("", 30, &["parameters.false_positive_rate=0.002"]);
    let tmp = tempfile::tempdir().unwrap();
    let (late, early) = (tmp.path().join("late"), tmp.path().join("early"));
    write(&s, 5, &late);
    let out = fracture::simulate(&s, 5).unwrap();
    let mut months = Vec::new();
    let staged = fracture::output::simulate_to(&early, false, &s, 5, fracture::Detail::Full, |m| {
        months.push(m)
    })
    .unwrap();
    assert_eq!(months, (1..=30).collect::<Vec<u32>>());
    // The large tables are in the staging folder already, and not in memory.
    assert!(staged.path().join("labs.parquet").is_file());
    assert_eq!(staged.outputs.labs.height(), 0);
    assert_eq!(staged.outputs.labs.schema(), out.labs.schema());
    assert_eq!(staged.outputs.rows, out.rows);
    assert_eq!(staged.outputs.rows["labs"], out.labs.height());
    staged
        .install(&Manifest::new(&s, 5, vec![]), |_| Ok(()))
        .unwrap();
    for table in TABLES {
        let file = format!("{table}.parquet");
        let x = std::fs::read(late.join(&file)).unwrap();
        let y = std::fs::read(early.join(&file)).unwrap();
        assert!(x == y, "{file} differs when written during the run");
    }
    // One row group per chunk of months: a reader can take one two-year slice of the labs table alone.
    let labs = out.labs.height() / 30;
    let mut file = std::fs::File::open(early.join("labs.parquet")).unwrap();
    let meta = polars_parquet::read::read_metadata(&mut file).unwrap();
    let rows: Vec<usize> = meta.row_groups.iter().map(|g| g.num_rows()).collect();
    assert_eq!(rows, [24 * labs, 6 * labs]);
    let back = fracture::output::read_parquet(&early.join("labs.parquet")).unwrap();
    assert!(back.equals(&out.labs));
}

/// The key columns are made from each row's position, not recorded: they must still name the month,
/// the lab and the lab's nation and kind of every row.
#[test]
fn every_table_has_one_row_per_entity_per_month_in_key_order() {
    let s = scenario("", 3, &[]);
    let out = run(&s);
    let labs = &out.labs;
    // A lab's key is its population (its `[[lab]]` entry) and its member number there, 0 for a lab
    // of its own; `lab_ids` has its id, in the order of a month's rows.
    let ids = strs(&out.lab_ids, "lab");
    let n = ids.len();
    assert_eq!(labs.height(), 3 * n);
    let keys: Vec<(String, f64)> = strs(labs, "population")
        .into_iter()
        .zip(f64s(labs, "member"))
        .collect();
    let dimension: Vec<(String, f64)> = strs(&out.lab_ids, "population")
        .into_iter()
        .zip(f64s(&out.lab_ids, "member"))
        .collect();
    let months = strs(labs, "month");
    let t = f64s(labs, "t");
    for m in 0..3 {
        assert_eq!(
            keys[m * n..(m + 1) * n],
            dimension[..],
            "month {m} lists other labs"
        );
        assert!(t[m * n..(m + 1) * n].iter().all(|&x| x == m as f64));
        let label = s.scenario.start.plus(m as i32).to_string();
        assert!(months[m * n..(m + 1) * n].iter().all(|x| *x == label));
    }
    for ((population, member), id) in dimension.iter().zip(&ids) {
        let entry = s.lab.iter().find(|l| &l.id == population).unwrap();
        if entry.count == 1 {
            assert_eq!((id, *member), (population, 0.0));
        } else {
            let width = entry.count.to_string().len().max(4);
            assert_eq!(*id, format!("{population}-{:0width$}", *member as u32));
        }
    }
    assert!(
        out.lab_ids
            .column("weight")
            .unwrap()
            .f64()
            .unwrap()
            .into_no_null_iter()
            .all(|w| w == 1.0)
    );
    let (nations, kinds) = (strs(labs, "nation"), strs(labs, "kind"));
    let mut checked = 0;
    for entry in s.lab.iter().filter(|l| l.count == 1) {
        let i = ids.iter().position(|id| *id == entry.id).unwrap();
        for m in 0..3 {
            assert_eq!(nations[m * n + i], entry.nation, "{}", entry.id);
            assert_eq!(kinds[m * n + i], entry.kind.as_str(), "{}", entry.id);
        }
        checked += 1;
    }
    assert!(checked >= 5, "the baseline names few labs");
    // Usage: every (nation, provider) pair each month, providers within nations.
    let usage = &out.usage;
    let (np, nn) = (s.provider.len(), s.nation.len());
    assert_eq!(usage.height(), 3 * nn * np);
    let nation_order = &strs(&out.nations, "nation")[..nn];
    let provider_order = &strs(&out.providers, "provider")[..np];
    let mut sorted = nation_order.to_vec();
    sorted.sort();
    let mut expected: Vec<String> = s.nation.iter().map(|n| n.id.clone()).collect();
    expected.sort();
    assert_eq!(sorted, expected);
    let (un, up) = (strs(usage, "nation"), strs(usage, "provider"));
    for (i, (nation, provider)) in un.iter().zip(&up).enumerate() {
        assert_eq!(*nation, nation_order[(i / np) % nn]);
        assert_eq!(*provider, provider_order[i % np]);
    }
    // Providers carry their bloc: the same every month, and Chinese and American clouds apart.
    let (pv, pb) = (
        strs(&out.providers, "provider"),
        strs(&out.providers, "bloc"),
    );
    assert_eq!(pb[..np], pb[np..2 * np]);
    let bloc_of_home = |home: &str| -> Vec<&String> {
        let mut blocs: Vec<&String> = pv[..np]
            .iter()
            .zip(&pb)
            .filter(|(v, _)| s.provider.iter().any(|p| p.id == **v && p.home == home))
            .map(|(_, b)| b)
            .collect();
        blocs.dedup();
        blocs
    };
    let (us, cn) = (bloc_of_home("US"), bloc_of_home("CN"));
    assert_eq!((us.len(), cn.len()), (1, 1), "{us:?} {cn:?}");
    assert_ne!(us, cn);
}
