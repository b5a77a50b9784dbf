//! Each policy kind against the same world without it: the direction of its effect, not merely that it
//! runs. Runs are short (24–36 months) and share the baseline's seed.

mod common;
use common::*;

const SIGNATORIES: [&str; 8] = ["GB", "KE", "BR", "IN", "NG", "DE", "FR", "NL"];

#[test]
fn cloud_ban_cuts_the_banned_provider_in_member_nations_without_raising_their_access() {
    let without = run(&scenario("", 24, &[]));
    let with = run(&scenario(
        r#"
[[policy]]
name = "alibaba-ban"
kind = "cloud_ban"
providers = ["alibaba-cloud"]
targets = ["uk-board-signatories"]
start = "2025-07"
"#,
        24,
        &[],
    ));
    for n in ["KE", "BR"] {
        assert!(
            usage(&without, n, "alibaba-cloud")[6] > 0.0,
            "{n} relies on Alibaba without the ban"
        );
        assert!(
            usage(&with, n, "alibaba-cloud")[5] > 0.0,
            "{n} uses Alibaba before the ban"
        );
    }
    let mut members_with = [0.0; 24];
    let mut members_without = [0.0; 24];
    for n in SIGNATORIES {
        let banned = usage(&with, n, "alibaba-cloud");
        assert!(
            banned[6..].iter().all(|&x| x == 0.0),
            "{n} still uses Alibaba: {banned:?}"
        );
        for (t, (a, b)) in nation(&with, n, "compute_h100e")
            .into_iter()
            .zip(nation(&without, n, "compute_h100e"))
            .enumerate()
        {
            members_with[t] += a;
            members_without[t] += b;
        }
    }
    // While the labs locked into Alibaba wait out `switching_months` (6) before dropping their contracts,
    // no member gains and the members together lose. (Afterwards the freed labs, and the demand the ban
    // sent to Western clouds, can lift members a little above a world without the ban: second-order
    // effects the model document describes.)
    for t in 6..12 {
        assert!(
            members_with[t] <= members_without[t] * (1.0 + 1e-9),
            "the members' access rose at t={t}: {} > {}",
            members_with[t],
            members_without[t]
        );
    }
    let (w, wo): (f64, f64) = (
        members_with[6..12].iter().sum(),
        members_without[6..12].iter().sum(),
    );
    assert!(
        w < 0.99 * wo,
        "members' compute in months 6–11: {w} vs {wo}, not 1 % lower"
    );
    // Those who relied on Alibaba lose access outright.
    for n in ["KE", "BR"] {
        let a = nation(&with, n, "compute_h100e");
        let b = nation(&without, n, "compute_h100e");
        assert!(
            a[6..12].iter().zip(&b[6..12]).all(|(x, y)| x < y),
            "{n}: {a:?} vs {b:?}"
        );
    }
    // Alibaba's region in Brazil is frozen; the rest of Alibaba's footprint is not.
    let alibaba = rows_where(&with.providers, "provider", "alibaba-cloud");
    let frozen = f64s(&alibaba, "frozen_regions");
    assert_eq!(frozen[5], 0.0);
    assert_eq!(
        frozen[6], 2.0,
        "alibaba-br and alibaba-de are in signatory nations"
    );
    assert!(f64s(&alibaba, "frozen_h100e")[6] > 0.0);
    assert!(!events(&with, "ban").is_empty());
}

#[test]
fn a_ban_of_every_provider_strands_the_nations_labs_until_access_returns() {
    let s = scenario(
        r#"
[[policy]]
name = "ke-blackout"
kind = "cloud_ban"
providers = ["west", "china"]
targets = ["KE"]
start = "2025-04"
end = "2025-09"
"#,
        12,
        &[],
    );
    let kenyan: f64 = s
        .lab
        .iter()
        .filter(|l| l.nation == "KE")
        .map(|l| l.count as f64)
        .sum();
    let with = run(&s);
    let stranded = global(&with, "stranded_labs");
    assert_eq!(stranded[2], 0.0);
    let compute = nation(&with, "KE", "compute_h100e");
    for (t, (s, c)) in stranded.iter().zip(&compute).enumerate().take(9).skip(3) {
        assert!(
            *s >= kenyan,
            "month {t}: all {kenyan} Kenyan labs are stranded while the blackout lasts, found {s}"
        );
        assert_eq!(*c, 0.0, "month {t}");
    }
    assert!(stranded[10] < kenyan, "access returns after the ban ends");
    let ke = rows_where(&with.labs, "nation", "KE");
    assert!(bools(&ke, "stranded").iter().any(|&f| f));
}

#[test]
fn watertight_export_control_sends_no_controlled_chips_to_targets() {
    let routes = scenario("", 1, &[]).intermediary;
    assert!(routes.len() >= 3);
    let leak_free: Vec<String> = routes
        .iter()
        .map(|r| format!("intermediary.{}.leakage_rate=0", r.id))
        .collect();
    let mut sets: Vec<&str> = leak_free.iter().map(String::as_str).collect();
    let without = run(&scenario(
        "[remove]\npolicy = [\"us-chip-controls\"]\n",
        24,
        &sets,
    ));
    // Control every US-designed class, with no leakage anywhere.
    sets.push("policy.us-chip-controls.h100e_threshold=0.01");
    let with = run(&scenario("", 24, &sets));
    for n in ["CN", "RU"] {
        let got = nation(&with, n, "received_h100e_west");
        assert!(
            got.iter().all(|&x| x == 0.0),
            "{n} received US chips: {got:?}"
        );
        assert!(
            sum(&nation(&without, n, "received_h100e_west")) > 0.0,
            "{n} buys US chips when free to"
        );
    }
    assert_eq!(sum(&global(&with, "smuggled_h100e")), 0.0);
    assert_eq!(sum(&global(&with, "seized_h100e")), 0.0);
}

#[test]
fn leakage_produces_smuggled_and_seized_volumes_and_enforcement_cuts_them() {
    let leaky = run(&scenario("", 24, &[]));
    assert!(sum(&global(&leaky, "smuggled_h100e")) > 0.0);
    assert!(sum(&global(&leaky, "seized_h100e")) > 0.0);
    assert!(!events(&leaky, "seizure").is_empty());
    assert!(sum(&nation(&leaky, "CN", "smuggled_received_h100e")) > 0.0);

    let sets = |e: &'static str| -> Vec<String> {
        ["singapore-route", "malaysia-route", "uae-route"]
            .iter()
            .map(|r| format!("intermediary.{r}.enforcement={e}"))
            .collect()
    };
    let lax: Vec<String> = sets("0.05");
    let strict: Vec<String> = sets("0.8");
    let lax = run(&scenario(
        "",
        24,
        &lax.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    let strict = run(&scenario(
        "",
        24,
        &strict.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    assert!(sum(&global(&strict, "smuggled_h100e")) < 0.5 * sum(&global(&lax, "smuggled_h100e")));
}

#[test]
fn import_cap_bounds_what_a_nation_receives_in_a_year() {
    let cap = 2000.0;
    let extra = format!(
        "[[policy]]\nname = \"cap-in\"\nkind = \"import_cap\"\ntargets = [\"IN\"]\ncap_h100e_per_year = {cap}\n"
    );
    let with = run(&scenario(&extra, 24, &[]));
    let without = run(&scenario("", 24, &[]));
    let legal = |out: &fracture::Outputs| -> Vec<f64> {
        let received: Vec<f64> = nation(out, "IN", "received_h100e_west")
            .iter()
            .zip(nation(out, "IN", "received_h100e_china"))
            .zip(nation(out, "IN", "smuggled_received_h100e"))
            .map(|((w, c), s)| w + c - s)
            .collect();
        received
    };
    let (a, b) = (legal(&with), legal(&without));
    for year in 0..2 {
        let got: f64 = a[year * 12..(year + 1) * 12].iter().sum();
        let free: f64 = b[year * 12..(year + 1) * 12].iter().sum();
        assert!(got <= cap * (1.0 + 1e-9), "year {year}: {got} > {cap}");
        assert!(
            free > cap,
            "without the cap India receives more than {cap}: {free}"
        );
    }
}

#[test]
fn a_tool_control_limits_new_capacity_not_the_output_of_tools_installed() {
    // ECONOMICS.md §4: in its first 6 months output stays within 5 % of the run without it; capacity
    // grows less after.
    let control = r#"
[[policy]]
name = "euv-embargo"
kind = "input_export_control"
by = ["NL"]
targets = ["TW"]
inputs = ["euv-tools"]
start = "2025-01"
"#;
    let with = run(&scenario(control, 48, &[]));
    let without = run(&scenario("", 48, &[]));
    let a = global(&with, "chip_production_h100e_west");
    let b = global(&without, "chip_production_h100e_west");
    for t in 0..6 {
        assert!(
            (a[t] / b[t] - 1.0).abs() < 0.05,
            "month {t}: {} vs {}",
            a[t],
            b[t]
        );
    }
    let capacity = |o: &fracture::Outputs, t: u32| {
        let f = rows_where(&o.fabs, "fab", "tsmc-nvidia");
        f64s(&f, "wafers")[t as usize]
    };
    // Decided after the control, arriving after the fab lead time.
    assert!(
        capacity(&with, 47) < 0.9 * capacity(&without, 47),
        "TSMC's capacity four years on: {} vs {}",
        capacity(&with, 47),
        capacity(&without, 47)
    );
}

#[test]
fn a_material_control_cuts_output_until_substitutes_come() {
    // Gallium withheld from Taiwan: TSMC makes what the materials it can get allow. The mechanism at full
    // exposure (every chip needs the material); the shipped world's gallium reaches a few per cent of
    // an AI line's output (its transceivers and power stages), tested below.
    let control = r#"
[[input]]
id = "gallium"
exposure = 1.0

[[policy]]
name = "gallium-to-taiwan"
kind = "input_export_control"
by = ["CN"]
targets = ["TW"]
inputs = ["gallium"]
start = "2025-01"
"#;
    let with = run(&scenario(control, 48, &[]));
    let without = run(&scenario(
        "[[input]]\nid = \"gallium\"\nexposure = 1.0\n",
        48,
        &[],
    ));
    let a = global(&with, "chip_production_h100e_west");
    let b = global(&without, "chip_production_h100e_west");
    // TSMC's NVIDIA lines are short of packaging, not wafers: a 35 % cut of wafers costs them less.
    assert!(
        a[1] < 0.9 * b[1],
        "the cut bites at once: {} vs {}",
        a[1],
        b[1]
    );
    assert!(a[40] / b[40] > a[1] / b[1], "substitutes recover part");
}

#[test]
fn weights_export_control_stops_extraction_by_targets() {
    let hot = [
        "parameters.lambda=0.5",
        "parameters.p_detect=1.0",
        "parameters.weights_protection=1.0",
        "parameters.extraction_gap=0.1",
    ];
    let control = r#"
[[policy]]
name = "weights-rule"
kind = "weights_export_control"
by = ["west"]
targets = ["china"]
capability_threshold = 20.0
"#;
    let with = run(&scenario(control, 24, &hot));
    let without = run(&scenario("", 24, &hot));
    let thefts = |o: &fracture::Outputs| {
        events(o, "theft_detected")
            .into_iter()
            .filter(|e| !e.4 && !e.1.starts_with("us-"))
            .filter(|e| {
                [
                    "alibaba-qwen",
                    "deepseek",
                    "bytedance",
                    "baidu",
                    "tencent",
                    "moonshot",
                ]
                .contains(&e.1.as_str())
            })
            .count()
    };
    assert!(
        thefts(&without) > 0,
        "Chinese labs attempt extraction without the control"
    );
    assert_eq!(
        thefts(&with),
        0,
        "fully protected weights are not extracted"
    );
    let a = global(&with, "frontier_capability_china");
    let b = global(&without, "frontier_capability_china");
    assert!(a.iter().zip(&b).all(|(x, y)| x <= &(y + 1e-12)));
    // Closed weights only (the AI Diffusion Rule's ECCN 4E091): the open releases China adopts are not
    // covered. With its own key, the control withholds open releases above a cap too, and China's
    // frontier falls behind.
    let open_too = format!("{control}open_release_cap = 20.0\n");
    let capped = run(&scenario(&open_too, 24, &hot));
    let c = global(&capped, "frontier_capability_china");
    assert!(c.iter().zip(&a).all(|(x, y)| x <= &(y + 1e-12)));
    assert!(
        c[23] < b[23] - 0.05,
        "China's frontier in month 23: {} with open releases capped vs {} without a control, not 0.05 \
         OOM lower",
        c[23],
        b[23]
    );
    // At strength 0 the control does nothing at all, open-release cap or not.
    let off = run(&scenario(
        &open_too,
        24,
        &[&hot[..], &["policy.weights-rule.strength=0"]].concat(),
    ));
    assert_eq!(global(&off, "frontier_capability_china"), b);
    assert_eq!(thefts(&off), thefts(&without));
}

#[test]
fn cloud_kyc_refuses_large_training_and_lets_inference_pass() {
    let kyc = r#"
[[policy]]
name = "kyc"
kind = "cloud_kyc"
providers = ["west"]
targets = ["CN"]
training_threshold_h100e = 0
"#;
    let with = run(&scenario(kyc, 24, &["parameters.kyc_evasion_rate=0"]));
    let without = run(&scenario("", 24, &[]));
    let west = ["aws", "azure", "google-cloud", "oracle", "coreweave"];
    let use_of =
        |o: &fracture::Outputs| -> f64 { west.iter().map(|p| sum(&usage(o, "CN", p))).sum() };
    assert!(use_of(&without) > 0.0);
    assert!(
        use_of(&with) < 0.75 * use_of(&without),
        "Western clouds' use in China: {} vs {}, not a quarter lower",
        use_of(&with),
        use_of(&without)
    );
    let cn = rows_where(&with.labs, "nation", "CN");
    assert!(bools(&cn, "kyc_refused").iter().any(|&f| f));
    let us = rows_where(&with.labs, "nation", "US");
    assert!(
        bools(&us, "kyc_refused").iter().all(|&f| !f),
        "KYC applies to the listed nations only"
    );
}

#[test]
fn secondary_sanctions_push_third_countries_off_the_sanctioned_bloc() {
    let sanctions = r#"
[[policy]]
name = "secondary"
kind = "secondary_sanctions"
by = ["west"]
targets = ["china"]
start = "2025-06"
"#;
    let with = run(&scenario(sanctions, 36, &[]));
    let without = run(&scenario("", 36, &[]));
    let china_clouds = [
        "alibaba-cloud",
        "huawei-cloud",
        "tencent-cloud",
        "baidu-ai-cloud",
    ];
    // Third countries (not on China's side) without start-ups locked into a Chinese cloud.
    for n in ["TH", "TR", "SA"] {
        let a: f64 = china_clouds.iter().map(|p| sum(&usage(&with, n, p))).sum();
        let b: f64 = china_clouds
            .iter()
            .map(|p| sum(&usage(&without, n, p)))
            .sum();
        assert!(
            a < b,
            "{n} uses China's clouds less under sanctions: {a} vs {b}"
        );
    }
    let labs = rows_where(&with.labs, "nation", "KE");
    assert!(bools(&labs, "uses_sanctioned_provider").iter().any(|&f| f));
    // Third countries that leaned on China's clouds move toward the West (Indonesia and Malaysia are on
    // China's side, which the sanctions spare).
    for n in ["KE", "BR", "NG"] {
        let (a, b) = (
            nation(&with, n, "alignment_west")[35],
            nation(&without, n, "alignment_west")[35],
        );
        assert!(a > b + 0.02, "{n}: {a} vs {b}, not 0.02 further West");
    }
}

#[test]
fn reciprocity_closes_the_imposers_clouds_and_withholds_inputs() {
    let extra = r#"
[[fab]]
id = "tsmc-nvidia"
inputs = ["euv-tools", "hbm", "gallium"]

[[input]]
id = "gallium"
exposure = 1.0

[[policy]]
name = "beijing-answers"
kind = "reciprocity"
by = ["china"]
targets = ["west"]
inputs = ["gallium"]
start = "2025-04"
"#;
    let with = run(&scenario(extra, 24, &[]));
    let without = run(&scenario(
        "[[fab]]\nid = \"tsmc-nvidia\"\ninputs = [\"euv-tools\", \"hbm\", \"gallium\"]\n\
         [[input]]\nid = \"gallium\"\nexposure = 1.0\n",
        24,
        &[],
    ));
    for p in ["aws", "azure", "google-cloud"] {
        assert!(sum(&usage(&without, "CN", p)) > 0.0);
        assert!(
            usage(&with, "CN", p)[3..].iter().all(|&x| x == 0.0),
            "{p} closed in China"
        );
        assert!(
            usage(&with, "RU", p)[3..].iter().all(|&x| x == 0.0),
            "{p} closed on China's side"
        );
    }
    // China's gallium, 35 % of supply, is withheld from TSMC's line; no substitute yet.
    let available = |o: &fracture::Outputs| {
        f64s(
            &rows_where(&o.fabs, "fab", "tsmc-nvidia"),
            "input_availability",
        )[4]
    };
    assert!((available(&without) - 1.0).abs() < 1e-12);
    assert!(
        (available(&with) - 0.65).abs() < 0.01,
        "gallium withheld from TSMC: {} of its materials",
        available(&with)
    );
}

#[test]
fn theft_trigger_fires_its_policy_after_its_delay() {
    let extra = r#"
[[trigger]]
name = "board-ban"
on = "theft_detected"
nations = ["CN"]
delay_months = 3
max_fires = 1
policy = { kind = "cloud_ban", providers = ["$provider"], targets = ["uk-board-signatories"] }
"#;
    let s = scenario(
        extra,
        18,
        &[
            "parameters.lambda=1.0",
            "parameters.p_detect=1.0",
            "parameters.false_positive_rate=0",
        ],
    );
    let out = run(&s);
    let thefts: Vec<_> = events(&out, "theft_detected")
        .into_iter()
        .filter(|e| {
            ["alibaba-qwen", "baidu", "moonshot"].contains(&e.1.as_str()) && !e.3.is_empty()
        })
        .collect();
    assert!(!thefts.is_empty(), "a Chinese cloud customer is caught");
    let fired = events(&out, "trigger_fired");
    assert_eq!(fired.len(), 1, "max_fires = 1");
    let first_theft = events(&out, "theft_detected")
        .into_iter()
        .filter(|e| {
            let cn = [
                "alibaba-qwen",
                "deepseek",
                "bytedance",
                "baidu",
                "tencent",
                "moonshot",
            ];
            cn.contains(&e.1.as_str()) || e.1.starts_with("cn-startup")
        })
        .min_by_key(|e| e.0)
        .unwrap();
    let banned = first_theft.3.clone();
    assert_eq!(
        fired[0].0,
        first_theft.0 + 1,
        "the trigger answers the next month"
    );
    let on: Vec<_> = events(&out, "policy_on")
        .into_iter()
        .filter(|e| e.3 == banned)
        .collect();
    assert_eq!(on.len(), 1);
    assert_eq!(
        on[0].0,
        first_theft.0 + 3,
        "the ban starts delay_months after the theft"
    );
    let m = (first_theft.0 + 3) as usize;
    for n in ["KE", "BR", "GB"] {
        let u = usage(&out, n, &banned);
        assert!(
            u[m..].iter().all(|&x| x == 0.0),
            "{n} lost {banned} from month {m}"
        );
    }
}

#[test]
fn false_accusations_are_marked_but_still_set_off_triggers() {
    let extra = r#"
[[trigger]]
name = "board-ban"
on = "theft_detected"
probability = 1.0
delay_months = 1
policy = { name = "ban-$provider", kind = "cloud_ban", providers = ["$provider"], targets = ["uk-board-signatories"] }
"#;
    let s = scenario(
        extra,
        12,
        &["parameters.lambda=0", "parameters.false_positive_rate=0.02"],
    );
    let out = run(&s);
    let accusations = events(&out, "theft_detected");
    assert!(accusations.len() > 10);
    assert!(
        accusations.iter().all(|e| e.4),
        "nobody extracted, so every accusation is false"
    );
    assert!(
        !events(&out, "trigger_fired").is_empty(),
        "the rules cannot tell a false accusation"
    );
}

#[test]
fn event_details_name_policies_in_words_and_count_in_calendar_months() {
    // A ban the trigger puts in force for three months, and a scheduled cap with an end: every event
    // about them says which policy, by kind and name, and when, as YYYY-MM — never `month 3` or `t`.
    let extra = r#"
[[trigger]]
name = "board-ban"
on = "theft_detected"
nations = ["CN"]
delay_months = 2
duration_months = 3
max_fires = 1
policy = { name = "board-ban-$provider", kind = "cloud_ban", providers = ["$provider"], targets = ["uk-board-signatories"] }

[[policy]]
name = "india-cap"
kind = "import_cap"
by = ["US"]
targets = ["IN"]
cap_h100e_per_year = 10000
start = "2025-03"
end = "2025-08"
"#;
    let s = scenario(
        extra,
        14,
        &[
            "parameters.lambda=1.0",
            "parameters.p_detect=1.0",
            "parameters.false_positive_rate=0",
        ],
    );
    let out = run(&s);
    let e = &out.events;
    let (month, kind, target, detail) = (
        strs(e, "month"),
        strs(e, "kind"),
        strs(e, "target"),
        strs(e, "detail"),
    );
    let find = |k: &str, needle: &str| -> (String, String) {
        (0..e.height())
            .find(|&i| kind[i] == k && (detail[i].contains(needle) || target[i].contains(needle)))
            .map(|i| (month[i].clone(), detail[i].clone()))
            .unwrap_or_else(|| panic!("no {k} event for {needle}: {detail:?}"))
    };
    assert_eq!(
        find("policy_on", "india-cap"),
        (
            "2025-03".into(),
            "import cap \u{201c}india-cap\u{201d} in force 2025-03 to 2025-08".into()
        )
    );
    assert_eq!(
        find("policy_off", "india-cap"),
        (
            "2025-09".into(),
            "import cap \u{201c}india-cap\u{201d} in force 2025-03 to 2025-08".into()
        )
    );
    let (fired_in, fired) = find("trigger_fired", "board-ban");
    let start: fracture::month::YearMonth = fired_in.parse().unwrap();
    // Fired the month after the accusation, in force `delay_months` after it, for three months.
    let (from, to) = (start.plus(1), start.plus(3));
    let name = fired
        .split('\u{201c}')
        .nth(1)
        .and_then(|r| r.split('\u{201d}').next())
        .expect("the policy's name in quotes")
        .to_string();
    assert!(name.starts_with("board-ban-"), "{fired}");
    assert_eq!(
        fired,
        format!("cloud ban \u{201c}{name}\u{201d} in force {from} to {to}")
    );
    let (on_in, on) = find("policy_on", &name);
    assert_eq!(on_in, from.to_string());
    assert_eq!(
        on,
        format!("cloud ban \u{201c}{name}\u{201d} in force {from} to {to}")
    );
    let (_, ban) = find("ban", &name);
    assert!(
        ban.starts_with(&format!("cloud ban \u{201c}{name}\u{201d}: "))
            && ban.ends_with("closed to users in uk-board-signatories"),
        "{ban}"
    );
    for d in &detail {
        let words: Vec<&str> = d.split_whitespace().collect();
        assert!(
            !words
                .windows(2)
                .any(|w| w[0] == "month" && w[1].starts_with(|c: char| c.is_ascii_digit())),
            "a month counted from the start: {d}"
        );
        assert!(!d.contains('`'), "raw markup in {d}");
        assert!(!d.contains("cloud_ban") && !d.contains("import_cap"), "{d}");
    }
}

/// A licence fee moves money, not chips: every table but the fee columns is the world's without it, to
/// the bit; the fee is paid only on sales to the targets, grows in proportion to its revenue share, and
/// is part of what sellers received.
#[test]
fn a_licence_fee_pays_a_share_of_licensed_sales_to_the_licensing_governments() {
    let fee = |share: f64| {
        format!(
            r#"
[[policy]]
name = "h20-licence-fee"
kind = "licence_fee"
by = ["US"]
targets = ["CN"]
chips = ["h20"]
revenue_share = {share}
"#
        )
    };
    let without = run(&scenario("", 24, &[]));
    let zero = run(&scenario(&fee(0.0), 24, &[]));
    assert!(zero.global.equals_missing(&without.global));
    assert!(zero.nations.equals_missing(&without.nations));
    let low = run(&scenario(&fee(0.15), 24, &[]));
    let high = run(&scenario(&fee(0.3), 24, &[]));
    let others = |o: &fracture::Outputs, table: &str| {
        let df = if table == "global" {
            &o.global
        } else {
            &o.nations
        };
        df.drop("licence_fees_busd").unwrap()
    };
    for table in ["global", "nations"] {
        assert!(
            others(&low, table).equals_missing(&others(&without, table)),
            "the fee changed the {table} table beyond its own column"
        );
    }
    let paid = |o: &fracture::Outputs| sum(&global(o, "licence_fees_busd"));
    let (l, h) = (paid(&low), paid(&high));
    assert!(l > 0.01, "China buys H20s, so 15 % of them is paid: {l}");
    assert!(
        (h - 2.0 * l).abs() <= 1e-9 * h,
        "twice the share, twice the fee: {l} {h}"
    );
    // Paid on China's purchases only, out of what its buyers paid for chips.
    let cn = sum(&nation(&low, "CN", "licence_fees_busd"));
    assert!(
        (cn - l).abs() <= 1e-9 * l,
        "all of it on sales to China: {cn} of {l}"
    );
    assert!(cn < 0.15 * sum(&nation(&low, "CN", "chip_spend_busd")) + 1e-12);
    assert_eq!(sum(&nation(&low, "US", "licence_fees_busd")), 0.0);
}

/// A government that discourages its buyers from a class turns them to the others: China's buyers take
/// fewer of NVIDIA's H20s and more of their own chips, and gain no compute by it.
#[test]
fn purchase_discouragement_turns_the_targets_buyers_from_the_listed_class() {
    let probe = |strength: f64| {
        format!(
            r#"
[[policy]]
name = "h20-guidance"
kind = "purchase_discouragement"
by = ["CN"]
targets = ["CN"]
chips = ["h20"]
strength = {strength}
"#
        )
    };
    let without = run(&scenario("", 24, &[]));
    let with = run(&scenario(&probe(1.0), 24, &[]));
    // Legal receipts of the West's chips (the H20 is the only class the controls leave open to China):
    // what it received from the West less what smugglers brought.
    let west = |o: &fracture::Outputs| {
        sum(&nation(o, "CN", "received_h100e_west"))
            - sum(&nation(o, "CN", "smuggled_received_h100e"))
    };
    let own = |o: &fracture::Outputs| sum(&nation(o, "CN", "received_h100e_china"));
    assert!(
        west(&without) > 1000.0,
        "China buys H20s: {}",
        west(&without)
    );
    assert!(
        west(&with) < 0.01 * west(&without),
        "China's buyers take no H20s: {} against {}",
        west(&with),
        west(&without)
    );
    assert!(
        own(&with) > own(&without),
        "and more of their own chips: {} against {}",
        own(&with),
        own(&without)
    );
    let compute = |o: &fracture::Outputs| sum(&nation(o, "CN", "compute_h100e"));
    assert!(compute(&with) <= compute(&without) * 1.001);
}

/// A world where every lab is accused every month, with triggers whose policies are named after the
/// accused lab: the triggers put at most `MAX_TRIGGERED_POLICIES` policies in force (an event says when
/// the bound is reached), and a trigger skipped for many accusations in a month logs one event, not one
/// per accusation — so the run stays small and fast (it once logged accusations × triggers events and
/// compiled a policy per lab and month).
#[test]
fn triggers_in_a_world_of_constant_accusations_stay_bounded() {
    use fracture::scenario::limits::MAX_TRIGGERED_POLICIES;
    let mut extra = String::new();
    for i in 0..6 {
        extra += &format!(
            "[[trigger]]\nname = \"per-lab-{i}\"\non = \"theft_detected\"\nprobability = 1.0\n\
             policy = {{ name = \"t{i}-$lab\", kind = \"chip_export_control\", by = [\"US\"], \
             targets = [\"$nation\"], chips = [\"h100\"], strength = 0.5 }}\n\
             [[trigger]]\nname = \"board-{i}\"\non = \"theft_detected\"\nprobability = 1.0\n\
             policy = {{ name = \"b{i}-$provider\", kind = \"cloud_ban\", by = [\"US\"], \
             providers = [\"$provider\"], targets = [\"US\"] }}\n"
        );
    }
    let s = scenario(&extra, 6, &["parameters.false_positive_rate=1"]);
    let out = run(&s);
    let accused = events(&out, "theft_detected").len();
    assert!(
        accused > 5 * 2000,
        "every lab accused every month: {accused}"
    );
    let fired = events(&out, "trigger_fired");
    assert_eq!(fired.len(), MAX_TRIGGERED_POLICIES as usize);
    let skipped = events(&out, "trigger_skipped");
    let full: Vec<_> = strs(
        &rows_where(&out.events, "kind", "trigger_skipped"),
        "detail",
    )
    .into_iter()
    .filter(|d| d.contains("the most a run may hold"))
    .collect();
    assert_eq!(full.len(), 1, "the bound is said once");
    // At most one skip per trigger and month, besides the one saying the bound is reached.
    let mut seen = std::collections::HashSet::new();
    for (t, actor, ..) in &skipped {
        seen.insert((*t, actor.clone()));
    }
    assert!(skipped.len() <= seen.len() + 1, "{skipped:?}");
    assert!(
        skipped.len() <= 12 * 6 + 1,
        "{} skip events for 12 triggers over 6 months",
        skipped.len()
    );
}
