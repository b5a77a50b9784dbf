//! Accounting that must hold in every month of every run: chips are conserved, every USD has a payer and
//! a payee (the books close for the world, each nation and each provider), and no table holds a NaN or
//! a negative capacity, compute, volume or share. And symmetry: alike labs are treated alike.

mod common;
use common::*;
use polars::prelude::*;

fn check_conservation(out: &fracture::Outputs) {
    let produced = global(out, "produced_h100e_cum");
    let delivered = global(out, "delivered_h100e_cum");
    let seized = global(out, "seized_h100e_cum");
    let stock = global(out, "stock_h100e");
    for t in 0..produced.len() {
        let rhs = delivered[t] + seized[t] + stock[t];
        assert!(
            (produced[t] - rhs).abs() <= 1e-9 * produced[t].max(1.0),
            "month {t}: produced {} ≠ delivered {} + seized {} + stock {}",
            produced[t],
            delivered[t],
            seized[t],
            stock[t]
        );
    }
}

/// The books, every month, to a billionth of the month's budgets:
/// - the world: labs' budgets plus what cloud parents put in = chips + datacentres + smugglers' margin +
///   electricity + what labs could not spend;
/// - each nation: its labs' budgets = what they spent + what they could not;
/// - each provider: what its parent put in = chips + datacentres + electricity − revenue;
/// - the nations' and providers' columns add up to the world's (a nation's chip spending includes what
///   its buyers paid smugglers).
fn check_books(out: &fracture::Outputs) {
    let g = |c: &str| global(out, c);
    let (budget, parent, chips, dc) = (
        g("budget_busd"),
        g("parent_busd"),
        g("chip_spend_busd"),
        g("datacentre_spend_busd"),
    );
    let (margin, operating, spend, unspent) = (
        g("smuggling_margin_busd"),
        g("operating_busd"),
        g("spend_busd"),
        g("unspent_busd"),
    );
    let months = budget.len();
    let close = |what: &str, t: usize, a: f64, b: f64| {
        let tol = 1e-9 * budget[t].max(1.0);
        assert!(
            (a - b).abs() <= tol,
            "month {t}: {what}: {a} against {b} (off by {})",
            a - b
        );
    };
    for t in 0..months {
        close(
            "budgets / 12 + parents = chips + datacentres + margin + electricity + unspent",
            t,
            budget[t] / 12.0 + parent[t],
            chips[t] + dc[t] + margin[t] + operating[t] + unspent[t],
        );
    }
    let by_month = |df: &DataFrame, column: &str| -> Vec<f64> {
        let mut sums = vec![0.0; months];
        for (t, v) in f64s(df, "t").iter().zip(f64s(df, column)) {
            sums[*t as usize] += v;
        }
        sums
    };
    // A nation's buyers pay for chips at the market and to smugglers (who keep their margin).
    let paid_for_chips: Vec<f64> = chips.iter().zip(&margin).map(|(c, m)| c + m).collect();
    for (column, world) in [
        ("budget_busd", &budget),
        ("spend_busd", &spend),
        ("unspent_busd", &unspent),
        ("chip_spend_busd", &paid_for_chips),
        ("datacentre_spend_busd", &dc),
    ] {
        for (t, v) in by_month(&out.nations, column).iter().enumerate() {
            close(&format!("nations' {column}"), t, *v, world[t]);
        }
    }
    for (column, world) in [("parent_busd", &parent), ("operating_busd", &operating)] {
        for (t, v) in by_month(&out.providers, column).iter().enumerate() {
            close(&format!("providers' {column}"), t, *v, world[t]);
        }
    }
    let n = |c: &str| f64s(&out.nations, c);
    let (t, nb, ns, nu) = (n("t"), n("budget_busd"), n("spend_busd"), n("unspent_busd"));
    for i in 0..t.len() {
        close(
            "a nation's budget / 12 = spent + unspent",
            t[i] as usize,
            nb[i] / 12.0,
            ns[i] + nu[i],
        );
    }
    let p = |c: &str| f64s(&out.providers, c);
    let (t, pp, pc, pd, po, pr) = (
        p("t"),
        p("parent_busd"),
        p("chip_spend_busd"),
        p("datacentre_spend_busd"),
        p("operating_busd"),
        p("revenue_busd"),
    );
    for i in 0..t.len() {
        close(
            "a provider's parent = chips + datacentres + electricity − revenue",
            t[i] as usize,
            pp[i],
            pc[i] + pd[i] + po[i] - pr[i],
        );
    }
    assert!(
        spend.iter().all(|&s| s > 0.0) && operating.iter().all(|&o| o > 0.0),
        "money moves every month"
    );
}

/// Columns that are signed by nature (a parent takes out what its cloud earns beyond its spending);
/// every other number must be ≥ 0.
const SIGNED: [&str; 4] = [
    "capability_gap_oom",
    "capability_lag_months",
    "bifurcation_index",
    "parent_busd",
];

fn check_no_nan_or_negative(out: &fracture::Outputs) {
    for (name, df) in out.tables() {
        for column in df.columns() {
            if column.dtype() != &DataType::Float64 {
                continue;
            }
            let values: Vec<f64> = column.f64().unwrap().into_no_null_iter().collect();
            let col = column.name().as_str();
            for (i, v) in values.iter().enumerate() {
                assert!(v.is_finite(), "{name}.{col} row {i} is {v}");
                if !SIGNED.contains(&col) {
                    assert!(*v >= 0.0, "{name}.{col} row {i} is negative: {v}");
                }
            }
            if col.contains("share") || col == "utilization" || col == "polarization" {
                assert!(
                    values.iter().all(|v| *v <= 1.0 + 1e-9),
                    "{name}.{col} exceeds 1"
                );
            }
        }
    }
}

#[test]
fn baseline_conserves_chips_closes_its_books_and_stays_finite() {
    let out = run(&scenario("", 120, &[]));
    check_conservation(&out);
    check_books(&out);
    check_no_nan_or_negative(&out);
}

#[test]
fn a_turbulent_world_conserves_chips_closes_its_books_and_stays_finite() {
    let extra = r#"
[[policy]]
name = "ban"
kind = "cloud_ban"
providers = ["alibaba-cloud", "aws"]
targets = ["uk-board-signatories", "ID"]
start = "2025-05"

[[policy]]
name = "sanctions"
kind = "secondary_sanctions"
by = ["west"]
targets = ["china"]
start = "2025-09"

[[policy]]
name = "reciprocity"
kind = "reciprocity"
by = ["china"]
targets = ["west"]
inputs = ["gallium"]
start = "2026-01"

[[policy]]
name = "kyc"
kind = "cloud_kyc"
providers = ["west"]
targets = ["china"]
training_threshold_h100e = 100
"#;
    let out = run(&scenario(
        extra,
        48,
        &["parameters.false_positive_rate=0.01"],
    ));
    check_conservation(&out);
    check_books(&out);
    check_no_nan_or_negative(&out);
    check_stranded_labs_add_up(&out);
    check_cloud_utilization_adds_up(&out);
}

/// Each bloc's `cloud_utilization_*` is its clouds' served H100e over their open capacity, summed from
/// the providers table, every month (bans freeze regions and sanctions move customers in this world).
fn check_cloud_utilization_adds_up(out: &fracture::Outputs) {
    let (t, bloc) = (f64s(&out.providers, "t"), strs(&out.providers, "bloc"));
    let (open, served) = (
        f64s(&out.providers, "capacity_h100e"),
        f64s(&out.providers, "served_h100e"),
    );
    for b in ["west", "china"] {
        let column = global(out, &format!("cloud_utilization_{b}"));
        let mut sums = vec![(0.0, 0.0); column.len()];
        for i in (0..t.len()).filter(|&i| bloc[i] == b) {
            sums[t[i] as usize].0 += served[i];
            sums[t[i] as usize].1 += open[i];
        }
        for (month, (&u, &(s, k))) in column.iter().zip(&sums).enumerate() {
            assert!(k > 0.0, "{b}'s clouds have capacity open in month {month}");
            assert!(
                (u - s / k).abs() < 1e-12 && (0.0..=1.0 + 1e-12).contains(&u),
                "month {month}: {b}'s cloud utilization {u} against {s} served of {k}"
            );
        }
    }
}

/// The nations' stranded labs add up to the world's each month, and to the labs table's count.
fn check_stranded_labs_add_up(out: &fracture::Outputs) {
    let world = global(out, "stranded_labs");
    let t = f64s(&out.nations, "t");
    let per_nation = f64s(&out.nations, "stranded_labs");
    let lab_t = f64s(&out.labs, "t");
    let lab_stranded = bools(&out.labs, "stranded");
    let mut sum = vec![0.0; world.len()];
    let mut labs = vec![0.0; world.len()];
    for (t, n) in t.iter().zip(&per_nation) {
        sum[*t as usize] += n;
    }
    for (t, s) in lab_t.iter().zip(&lab_stranded) {
        labs[*t as usize] += f64::from(u8::from(*s));
    }
    assert!(world.iter().any(|&s| s > 0.0), "some labs are stranded");
    assert_eq!(sum, world, "nations' stranded labs against the world's");
    assert_eq!(
        labs, world,
        "labs table's stranded labs against the world's"
    );
}

#[test]
fn alignment_weights_stay_a_distribution() {
    let out = run(&scenario("", 60, &[]));
    let w = f64s(&out.nations, "alignment_west");
    let c = f64s(&out.nations, "alignment_china");
    for (a, b) in w.iter().zip(&c) {
        assert!(((a + b) - 1.0).abs() < 1e-9);
    }
}

/// Alike labs are treated alike. The members of a population start identical, and in the baseline they
/// stay identical in every column of the labs table, month by month (budget, compute, training, demand,
/// unmet demand, capability, providers, flags), but for two things that are each member's own:
/// - a renewal month that finds a cheaper provider (a `contracts_dropped` event naming the member) sets
///   it apart from then on;
/// - a false accusation sets its `accused` flag for that month, which is not compared.
///
/// So the market's rationing and every per-lab rule read a lab's state, never its place in the order.
/// (Under a KYC rule each member's evasion draw would split it too; the baseline has none.)
#[test]
fn members_of_a_population_are_treated_alike_until_their_own_renewal_sets_them_apart() {
    use std::collections::HashMap;
    let out = run(&scenario("", 48, &[]));
    let labs = &out.labs;
    let t = f64s(labs, "t");
    let population = strs(labs, "population");
    let member = f64s(labs, "member");
    let numbers: Vec<Vec<f64>> = [
        "budget_busd",
        "compute_h100e",
        "training_h100e",
        "demand_h100e",
        "unmet_h100e",
        "capability",
        "providers_used",
    ]
    .iter()
    .map(|c| f64s(labs, c))
    .collect();
    let texts: Vec<Vec<String>> = ["nation", "kind", "main_provider"]
        .iter()
        .map(|c| strs(labs, c))
        .collect();
    let flags: Vec<Vec<bool>> = ["kyc_refused", "uses_sanctioned_provider", "stranded"]
        .iter()
        .map(|c| bools(labs, c))
        .collect();
    let row = |i: usize| {
        (
            numbers.iter().map(|c| c[i].to_bits()).collect::<Vec<_>>(),
            texts.iter().map(|c| c[i].clone()).collect::<Vec<_>>(),
            flags.iter().map(|c| c[i]).collect::<Vec<_>>(),
        )
    };
    // The month each member's renewal moved it, from the events' lab ids (`population-0007`).
    let mut moved: HashMap<String, u32> = HashMap::new();
    for (month, actor, ..) in events(&out, "contracts_dropped") {
        moved.entry(actor).or_insert(month);
    }
    let id = |i: usize| format!("{}-{:04}", population[i], member[i] as u32);
    let set_apart = |i: usize| moved.get(&id(i)).is_some_and(|&m| t[i] as u32 >= m);

    let mut first: HashMap<(u32, &str), usize> = HashMap::new();
    let (mut compared, mut apart_and_different) = (0, 0);
    for i in 0..t.len() {
        if member[i] == 0.0 {
            continue; // a lab of its own, not a population
        }
        let key = (t[i] as u32, population[i].as_str());
        if set_apart(i) {
            if let Some(&r) = first.get(&key)
                && row(r) != row(i)
            {
                apart_and_different += 1;
            }
            continue;
        }
        let r = *first.entry(key).or_insert(i);
        assert_eq!(
            row(r),
            row(i),
            "month {}: {} differs from {} of its population",
            key.0,
            id(i),
            id(r)
        );
        compared += 1;
    }
    assert!(
        compared > 10_000,
        "{compared} member-months compared with their population's first"
    );
    assert!(
        !moved.is_empty() && apart_and_different > 0,
        "renewals set members apart within 48 months ({} moved, {apart_and_different} member-months \
         differ)",
        moved.len()
    );
}
