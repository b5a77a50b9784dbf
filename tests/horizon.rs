//! The baseline stays inside money and physics over its whole horizon, to 2034 (CALIBRATION.md, "Bounds to
//! 2035"; the economics issue): unmet demand is a policy effect, not a permanent state; AI spending stays a
//! small share of GDP; installed compute never exceeds the power built for it; China's share moves within
//! its band; alignment holds when no policy changes; chip prices fall with price-performance.

mod common;
use common::*;
use fracture::Outputs;
use std::sync::OnceLock;

fn baseline() -> &'static Outputs {
    static OUT: OnceLock<Outputs> = OnceLock::new();
    OUT.get_or_init(|| run(&scenario("", 120, &[])))
}

fn decembers() -> impl Iterator<Item = usize> {
    (11..120).step_by(12)
}

#[test]
fn demand_is_met_every_december_to_2034() {
    let out = baseline();
    let (all, west, china) = (
        global(out, "unmet_share"),
        global(out, "unmet_share_west"),
        global(out, "unmet_share_china"),
    );
    for t in decembers() {
        assert!(all[t] <= 0.10, "month {t}: {:.3} of demand unmet", all[t]);
        assert!(
            west[t] <= 0.20 && china[t] <= 0.20,
            "month {t}: {:.3} / {:.3}",
            west[t],
            china[t]
        );
    }
}

#[test]
fn chip_spending_stays_a_small_share_of_gdp_and_budgets_under_their_ceiling() {
    let out = baseline();
    let spend = global(out, "chip_spend_busd");
    let gdp = global(out, "gdp_busd");
    for year in 0..10 {
        let y = year * 12..(year + 1) * 12;
        let share = spend[y.clone()].iter().sum::<f64>() / (gdp[y].iter().sum::<f64>() / 12.0);
        assert!(
            share <= 0.03,
            "year {}: chips {:.2} % of world GDP",
            2025 + year,
            share * 100.0
        );
    }
    // Each nation's AI budgets stay within the ceiling share of its GDP (3 %).
    let s = fracture::scenario::load("baseline", &[]).unwrap().scenario;
    for n in &s.nation {
        let budget = nation(out, &n.id, "budget_busd");
        for (t, b) in budget.iter().enumerate() {
            let gdp = n.gdp * 1.03f64.powf(t as f64 / 12.0);
            assert!(
                *b <= 0.03 * gdp * 1.001,
                "{} month {t}: budgets {b:.1} of GDP {gdp:.0}",
                n.id
            );
        }
    }
}

#[test]
fn power_in_use_never_exceeds_power_built() {
    let out = baseline();
    let (used, capacity) = (global(out, "power_gw"), global(out, "power_capacity_gw"));
    for t in 0..120 {
        assert!(
            used[t] <= capacity[t] * (1.0 + 1e-9),
            "month {t}: {} > {}",
            used[t],
            capacity[t]
        );
    }
    for n in ["US", "CN", "DE", "AE", "KE"] {
        let (u, c) = (
            nation(out, n, "power_gw"),
            nation(out, n, "power_capacity_gw"),
        );
        assert!(u.iter().zip(&c).all(|(u, c)| *u <= c * (1.0 + 1e-9)), "{n}");
    }
}

#[test]
fn chinas_share_of_compute_stays_within_its_band() {
    let share = global(baseline(), "compute_share_china");
    for t in decembers() {
        assert!(
            (0.03..=0.22).contains(&share[t]),
            "month {t}: China's share {:.3}",
            share[t]
        );
    }
}

#[test]
fn chip_prices_fall_with_price_performance_once_scarcity_eases() {
    // Epoch AI: fixed performance 30 % cheaper a year; 20–40 % from 2027, when the 2025–26 shortage is over.
    let price = global(baseline(), "chip_price_usd_west");
    for year in 2..9 {
        let ratio = price[12 * (year + 1)] / price[12 * year];
        assert!(
            (0.6..=0.8).contains(&ratio),
            "{}: the price of an H100e changed by {:.0} %",
            2025 + year,
            (ratio - 1.0) * 100.0
        );
    }
}

#[test]
fn alignment_holds_where_no_policy_changes() {
    // No policy of the baseline changes after 2025-05: third countries drift by less than 0.15 to 2030,
    // and Hong Kong, Russia and Iran stay on China's side (seeds 1–3).
    for seed in 1..=3 {
        let s = scenario("", 72, &[&format!("scenario.seed={seed}")]);
        let out = run(&s);
        for n in ["IN", "BR", "ID", "VN", "SA", "AE", "ZA", "TR", "MX", "NG"] {
            let west = nation(&out, n, "alignment_west");
            let drift = (west[71] - west[0]).abs();
            assert!(drift < 0.15, "seed {seed}: {n} drifted {drift:.3}");
        }
        for n in ["HK", "RU", "IR"] {
            let sides = strs(&rows_where(&out.nations, "nation", n), "side");
            assert!(
                sides.iter().all(|s| s == "china"),
                "seed {seed}: {n} left China's side"
            );
        }
    }
}

/// ODD.md's "Reading the ten years" (seed 42, Decembers 2025 to 2034) is what this build gives: each row
/// measured here and printed as ODD.md prints it. With `FRACTURE_BLESS=1` the rows are written into
/// ODD.md instead, after a model change.
#[test]
fn odd_reads_the_ten_years_from_this_build() {
    let out = baseline();
    let dec = |xs: Vec<f64>| -> Vec<f64> { decembers().map(|t| xs[t]).collect() };
    let ratio =
        |a: Vec<f64>, b: Vec<f64>| -> Vec<f64> { a.iter().zip(&b).map(|(x, y)| x / y).collect() };
    let china_hk = |column: &str| -> Vec<f64> {
        let (cn, hk) = (nation(out, "CN", column), nation(out, "HK", column));
        cn.iter().zip(&hk).map(|(a, b)| a + b).collect()
    };
    let unspent = ratio(
        china_hk("unspent_busd"),
        china_hk("budget_busd").iter().map(|b| b / 12.0).collect(),
    );
    // A figure with three digits or more shows no decimals, in groups of three.
    let magnitude = |x: f64| {
        if x >= 100.0 {
            let s = format!("{x:.0}");
            let n = s.len();
            s.chars()
                .enumerate()
                .flat_map(|(i, c)| {
                    ((i > 0 && (n - i) % 3 == 0).then_some(' '))
                        .into_iter()
                        .chain([c])
                })
                .collect()
        } else {
            format!("{x:.1}")
        }
    };
    let percent = |x: f64| format!("{:.1} %", 100.0 * x);
    let whole_percent = |x: f64| {
        if x >= 0.1 {
            format!("{:.0} %", 100.0 * x)
        } else {
            format!("{:.1} %", 100.0 * x)
        }
    };
    type Row<'a> = (&'a str, Vec<f64>, &'a dyn Fn(f64) -> String);
    let rows: Vec<Row> = vec![
        (
            "installed compute, M H100e",
            dec(global(out, "installed_h100e"))
                .iter()
                .map(|x| x / 1e6)
                .collect(),
            &magnitude,
        ),
        (
            "AI power in use, GW",
            dec(global(out, "power_gw")),
            &magnitude,
        ),
        (
            "China's share of compute",
            dec(global(out, "compute_share_china")),
            &percent,
        ),
        ("China + Hong Kong's money unspent", dec(unspent), &percent),
        (
            "China's chips over the West's",
            dec(ratio(
                global(out, "chip_price_usd_china"),
                global(out, "chip_price_usd_west"),
            )),
            &|x| format!("{x:.1}×"),
        ),
        (
            "smuggled chips' share of China's compute",
            dec(global(out, "smuggled_share_china")),
            &whole_percent,
        ),
        (
            "mean cloud price, USD per H100e-hour",
            dec(global(out, "cloud_price_usd")),
            &|x| format!("{x:.2}"),
        ),
    ];
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/ODD.md");
    let text = std::fs::read_to_string(path).expect("ODD.md reads");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut problems = Vec::new();
    for (name, values, show) in rows {
        let want = format!(
            "| {name} | {} |",
            values
                .iter()
                .map(|&x| show(x))
                .collect::<Vec<_>>()
                .join(" | ")
        );
        let at = lines
            .iter()
            .position(|l| l.starts_with(&format!("| {name} |")))
            .unwrap_or_else(|| panic!("ODD.md's ten years have no row `{name}`"));
        if lines[at] != want {
            problems.push(format!("ODD.md: {}\nbuild:  {want}", lines[at]));
            lines[at] = want;
        }
    }
    if std::env::var("FRACTURE_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(path, lines.join("\n") + "\n").expect("ODD.md writes");
    } else {
        assert!(
            problems.is_empty(),
            "ODD.md's \"Reading the ten years\" differs from the build (FRACTURE_BLESS=1 cargo test --test \
             horizon rewrites it):\n{}",
            problems.join("\n")
        );
    }
}
