//! Building the ECS world from a scenario: one entity per agent, in sorted order, the state every
//! submodel shares (index, parameters, clock, random streams, event log), then each submodel installed
//! with its own state and systems ([`crate::systems::install`]).

use crate::components::*;
use crate::resources::*;
use crate::scenario::{LabKind, Scenario};
use crate::systems::sorted_by_id;
use crate::tables::{Detail, Recording};
use bevy_ecs::prelude::*;
use std::collections::{HashMap, VecDeque};

/// Index of the largest weight (the first on ties).
fn argmax(weights: &[f64]) -> usize {
    let mut best = 0;
    for (i, &w) in weights.iter().enumerate() {
        if w > weights[best] {
            best = i;
        }
    }
    best
}

/// Appends `n` in decimal, zero-padded to `width` digits (at most 10).
fn push_padded(text: &mut Vec<u8>, mut n: u32, width: usize) {
    let mut digits = [b'0'; 10];
    let mut i = digits.len();
    while n > 0 {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    let len = (digits.len() - i).max(width.min(digits.len()));
    text.extend_from_slice(&digits[digits.len() - len..]);
}

/// Spreads an initial stock over the months before the start so that it retires gradually; it draws
/// `watts` per H100e and is valued at `price` per H100e.
fn initial_vintages(
    h100e: f64,
    age_months: u32,
    origin: usize,
    blocs: usize,
    (watts, price): (f64, f64),
) -> Capacity {
    let mut c = Capacity {
        vintages: VecDeque::new(),
        total: 0.0,
        by_origin: smallvec::smallvec![0.0; blocs],
        watts: 0.0,
        capital: 0.0,
    };
    if h100e > 0.0 {
        let months = age_months.max(1);
        for m in (1..=months).rev() {
            c.vintages.push_back(Vintage {
                month: -(m as i32),
                h100e: h100e / months as f64,
                origin,
                watts,
                price,
            });
        }
        c.total = h100e;
        c.by_origin[origin] = h100e;
        c.watts = h100e * watts;
        c.capital = h100e * price;
    }
    c
}

/// Builds the world for `scenario`, with all random streams derived from `seed`.
pub fn build(scenario: &Scenario, seed: u64) -> World {
    build_with(scenario, seed, Detail::Full)
}

/// As [`build`], recording only the tables (and labs) `recording` asks for: a [`Detail`], or a
/// [`Recording`] with a sample of labs.
///
/// Entities are spawned kind by kind in a fixed order, each kind sorted by id, so that entity ids (and
/// with them the order queries visit entities) depend on the scenario alone.
pub fn build_with(scenario: &Scenario, seed: u64, recording: impl Into<Recording>) -> World {
    let mut world = World::new();
    let mut index = WorldIndex {
        bloc_ids: scenario.bloc.iter().map(|b| b.id.clone()).collect(),
        ..Default::default()
    };
    let homes = spawn_nations(&mut world, &mut index, scenario);
    spawn_blocs(&mut world, &mut index, scenario);
    index_inputs(&mut index, scenario);
    spawn_chips(&mut world, &mut index, scenario, &homes);
    let fabs = spawn_fabs(&mut world, &mut index, scenario, &homes);
    spawn_providers(&mut world, &mut index, scenario, &homes);
    let mut watts_at_start = spawn_regions(&mut world, &mut index, scenario);
    order_labs(&mut index, scenario);
    let lab_kinds = spawn_labs(
        &mut world,
        &mut index,
        scenario,
        &homes,
        &mut watts_at_start,
    );
    spawn_intermediaries(&mut world, &mut index, scenario);
    spawn_policies(&mut world, &index, scenario);
    let recording = recording.into();
    insert_shared(&mut world, index, scenario, seed, recording);
    crate::systems::install(
        &mut world,
        &crate::systems::Setup {
            scenario,
            recording,
            watts_at_start: &watts_at_start,
            lab_kinds: &lab_kinds,
            fab_ids: &fabs.ids,
            fab_owners: &fabs.owners,
        },
    );
    world
}

/// The position of bloc `id` among the scenario's blocs.
fn bloc_of(scenario: &Scenario, id: &str) -> Option<usize> {
    scenario.bloc.iter().position(|b| b.id == id)
}

/// Nations, in the order of their ids. Returns each nation's home bloc: the bloc of its largest
/// alignment weight at the start, which its chips, fabs and providers belong to.
fn spawn_nations(world: &mut World, index: &mut WorldIndex, scenario: &Scenario) -> Vec<usize> {
    let k = scenario.bloc.len();
    let nations = sorted_by_id(&scenario.nation, |n| &n.id);
    for (i, n) in nations.iter().enumerate() {
        index.nation_ids.push(n.id.clone());
        index.nation_index.insert(n.id.clone(), i);
    }
    index.bloc_leaders = scenario
        .bloc
        .iter()
        .map(|b| index.nation_index[&b.leader])
        .collect();
    let mut homes = Vec::with_capacity(nations.len());
    for (i, n) in nations.iter().enumerate() {
        let mut weights = vec![0.0; k];
        let mut trade = vec![0.0; k];
        for (b, w) in &n.alignment {
            weights[bloc_of(scenario, b).expect("validated")] = *w;
        }
        for (b, w) in &n.trade {
            trade[bloc_of(scenario, b).expect("validated")] = *w;
        }
        let leads = index.bloc_leaders.iter().position(|&l| l == i);
        homes.push(argmax(&weights));
        let e = world
            .spawn((
                Nation {
                    idx: i,
                    id: n.id.clone(),
                    population: n.population,
                    gdp: n.gdp,
                    trade,
                    leads,
                    open_to_foreign_users: n.open_to_foreign_users,
                    electricity_usd_kwh: n
                        .electricity_usd_kwh
                        .unwrap_or(scenario.parameters.electricity_usd_kwh),
                },
                Alignment {
                    side: Alignment::side_of(&weights),
                    weights,
                    affinity: None,
                },
                NationCompute {
                    by_bloc: vec![0.0; k],
                    by_provider: vec![0.0; scenario.provider.len()],
                    sanctioned_by_bloc: vec![0.0; k],
                    ..Default::default()
                },
            ))
            .id();
        index.nations.push(e);
    }
    homes
}

/// Blocs, and the coalitions' members.
fn spawn_blocs(world: &mut World, index: &mut WorldIndex, scenario: &Scenario) {
    for (i, b) in scenario.bloc.iter().enumerate() {
        world.spawn(Bloc {
            idx: i,
            id: b.id.clone(),
            leader: index.nation_index[&b.leader],
        });
    }
    for c in &scenario.coalition {
        index.coalitions.insert(
            c.id.clone(),
            c.members.iter().map(|m| index.nation_index[m]).collect(),
        );
    }
}

/// Inputs to chipmaking: suppliers, kind, supply and how a withheld supply is substituted.
fn index_inputs(index: &mut WorldIndex, scenario: &Scenario) {
    let params = &scenario.parameters;
    for (i, x) in sorted_by_id(&scenario.input, |x| &x.id).iter().enumerate() {
        index.input_ids.push(x.id.clone());
        index.input_index.insert(x.id.clone(), i);
        index.input_suppliers.push(
            x.suppliers
                .iter()
                .map(|(n, s)| (index.nation_index[n], *s))
                .collect(),
        );
        index.input_kind.push(x.kind);
        index
            .input_supply
            .push((x.supply.unwrap_or(0.0), x.supply_growth));
        index.input_exposure.push(x.exposure.unwrap_or(1.0));
        let data_month = scenario
            .scenario
            .data_month
            .unwrap_or(scenario.scenario.start);
        index.input_domestic.push(
            x.domestic
                .iter()
                .map(|(n, d)| DomesticFlow {
                    nation: index.nation_index[n],
                    supply: d.supply,
                    growth: d.growth,
                    from: d.from.map_or(0, |m| data_month.months_until(m)),
                })
                .collect(),
        );
        index.input_substitution.push((
            x.substitution_ceiling
                .unwrap_or(params.substitution_ceiling),
            x.months_to_substitute
                .unwrap_or(params.months_to_substitute),
        ));
    }
}

/// Chip classes, with the nations whose fabs make each one.
fn spawn_chips(world: &mut World, index: &mut WorldIndex, scenario: &Scenario, homes: &[usize]) {
    let start = scenario.scenario.start;
    let chips = sorted_by_id(&scenario.chip, |c| &c.id);
    for (i, c) in chips.iter().enumerate() {
        index.chip_ids.push(c.id.clone());
        index.chip_index.insert(c.id.clone(), i);
    }
    let mut fab_nations: Vec<Vec<usize>> = vec![Vec::new(); chips.len()];
    for f in &scenario.fab {
        for c in f.chips.keys() {
            let n = index.nation_index[&f.owner];
            let list = &mut fab_nations[index.chip_index[c]];
            if !list.contains(&n) {
                list.push(n);
            }
        }
    }
    for (i, c) in chips.iter().enumerate() {
        let designer = index.nation_index[&c.designer];
        fab_nations[i].sort_unstable();
        index.chip_h100e.push(c.h100e);
        index.chip_designer.push(designer);
        index.chip_origin.push(homes[designer]);
        index.chip_fab_nations.push(fab_nations[i].clone());
        world.spawn(ChipClass {
            idx: i,
            id: c.id.clone(),
            designer,
            origin: homes[designer],
            h100e: c.h100e,
            hbm_stacks: c.hbm_stacks,
            dies: c.dies,
            available: c.available.map_or(0, |m| start.months_until(m)),
            until: c.until.map(|m| start.months_until(m)),
            sold_to: c.sold_to,
            fab_nations: fab_nations[i].clone(),
        });
    }
}

/// The fabs' ids and owners, in index order, for the output tables.
struct FabNames {
    ids: Vec<String>,
    owners: Vec<usize>,
}

/// Fabs; each sells in the market of its chips' designers (the first chip's, by validation all alike).
fn spawn_fabs(
    world: &mut World,
    index: &mut WorldIndex,
    scenario: &Scenario,
    homes: &[usize],
) -> FabNames {
    let mut names = FabNames {
        ids: Vec::new(),
        owners: Vec::new(),
    };
    for (i, f) in sorted_by_id(&scenario.fab, |f| &f.id).iter().enumerate() {
        names.ids.push(f.id.clone());
        names.owners.push(index.nation_index[&f.owner]);
        let inputs: Vec<usize> = f.inputs.iter().map(|x| index.input_index[x]).collect();
        let chips: Vec<(usize, f64)> = f
            .chips
            .iter()
            .map(|(c, s)| (index.chip_index[c], *s))
            .collect();
        let market = chips
            .first()
            .map_or(0, |&(c, _)| homes[index.chip_designer[c]]);
        let e = world
            .spawn(Fab {
                idx: i,
                id: f.id.clone(),
                owner: index.nation_index[&f.owner],
                market,
                chips,
                wafers: f.wafers,
                dies_per_wafer: f.dies_per_wafer,
                ai_share: f.ai_share,
                yield_rate: f.yield_rate,
                target_growth: f.target_growth,
                packaging: f.packaging,
                banked_dies: f.banked_dies,
                // Filled in the first month from the growth then planned.
                capacity_pipeline: VecDeque::new(),
                packaging_pipeline: VecDeque::new(),
                inputs,
                indigenous: f.indigenous,
                produced: 0.0,
                produced_h100e: 0.0,
                input_availability: 1.0,
                bound: Bound::default(),
            })
            .id();
        index.fabs.push(e);
    }
    names
}

/// Cloud providers; a provider belongs to its declared bloc, else to its home nation's.
fn spawn_providers(
    world: &mut World,
    index: &mut WorldIndex,
    scenario: &Scenario,
    homes: &[usize],
) {
    let providers = sorted_by_id(&scenario.provider, |p| &p.id);
    for (i, p) in providers.iter().enumerate() {
        index.provider_ids.push(p.id.clone());
        index.provider_index.insert(p.id.clone(), i);
        let home = index.nation_index[&p.home];
        let bloc = p
            .bloc
            .as_deref()
            .and_then(|b| bloc_of(scenario, b))
            .unwrap_or(homes[home]);
        index.provider_bloc.push(bloc);
        world.spawn((
            Provider {
                idx: i,
                id: p.id.clone(),
                home,
                bloc,
                price0: p.price,
                kyc_compliance: p.kyc_compliance,
                capex0: p.capex * 1e9,
            },
            ProviderBook {
                price: p.price,
                open_by_host: vec![0.0; scenario.nation.len()],
                capex: p.capex * 1e9,
                revenue_ring: vec![0.0; 12],
                ..Default::default()
            },
        ));
    }
}

/// The providers' regions, in the order of their ids, with their installed chips. Returns the
/// facility watts each host nation's regions draw at the start.
fn spawn_regions(world: &mut World, index: &mut WorldIndex, scenario: &Scenario) -> Vec<f64> {
    let params = &scenario.parameters;
    let mut regions: Vec<(String, usize, usize, f64)> = Vec::new();
    for p in &scenario.provider {
        for r in &p.region {
            regions.push((
                r.id.clone(),
                index.provider_index[&p.id],
                index.nation_index[&r.host],
                r.capacity,
            ));
        }
    }
    regions.sort_by(|a, b| a.0.cmp(&b.0));
    let w0 = params.watts_per_h100e;
    // The initial stock is valued at the trend price of new chips in the first month.
    let start_price = params.chip_trend_price(scenario.months_since_data());
    let k = scenario.bloc.len();
    let mut watts_at_start = vec![0.0; index.nation_ids.len()];
    for (i, (id, provider, host, capacity)) in regions.into_iter().enumerate() {
        let origin = index.provider_bloc[provider];
        watts_at_start[host] += capacity * w0;
        let e = world
            .spawn((
                Region {
                    idx: i,
                    id,
                    provider,
                    host,
                    frozen: false,
                },
                initial_vintages(
                    capacity,
                    params.initial_age_months,
                    origin,
                    k,
                    (w0, start_price),
                ),
                Purchase {
                    bought: smallvec::smallvec![0.0; k],
                    ..Default::default()
                },
            ))
            .id();
        index.regions.push(e);
    }
    watts_at_start
}

/// Every lab's place: a population entry expanded into its members, in the order of their ids. The ids
/// are made only to be sorted, in one buffer, and dropped: a lab is its entry and member number (1 to
/// `count`, 0 for a lab of its own), from which [`WorldIndex::lab_id`] makes its id again.
fn order_labs(index: &mut WorldIndex, scenario: &Scenario) {
    let total: usize = scenario.lab.iter().map(|l| l.count as usize).sum();
    index.population_ids = scenario.lab.iter().map(|l| l.id.clone()).collect();
    index.population_digits = scenario
        .lab
        .iter()
        .map(|l| l.count.to_string().len().max(4))
        .collect();
    let mut text: Vec<u8> = Vec::new();
    // (start and end of the id in `text`, entry, member)
    let mut ids: Vec<(usize, usize, u32, u32)> = Vec::with_capacity(total);
    for (entry, l) in scenario.lab.iter().enumerate() {
        if l.count == 1 {
            let start = text.len();
            text.extend_from_slice(l.id.as_bytes());
            ids.push((start, text.len(), entry as u32, 0));
        } else {
            for m in 1..=l.count {
                let start = text.len();
                text.extend_from_slice(l.id.as_bytes());
                text.push(b'-');
                push_padded(&mut text, m, index.population_digits[entry]);
                ids.push((start, text.len(), entry as u32, m));
            }
        }
    }
    // Ids are unique (validation sees to it), so an unstable sort gives the one order.
    ids.sort_unstable_by(|a, b| text[a.0..a.1].cmp(&text[b.0..b.1]));
    (index.lab_population, index.lab_member) = ids.into_iter().map(|(_, _, e, m)| (e, m)).unzip();
}

/// What every member of a population shares, worked out once per entry, when its first lab comes.
struct Traits {
    nation: usize,
    pool: usize,
    origin: usize,
    /// The runs before the start, as if the lab's compute had grown steadily — its budget at its
    /// growth, bought at prices falling with price-performance — so capability starts where it
    /// stands; and the FLOP of its largest run.
    runs: Vec<f64>,
    total: f64,
    extraction: bool,
}

/// The market pools labs fall into: every nation has a contract-free pool (pool n for nation n), which
/// labs join when they drop contracts; pools with contracts follow, numbered as labs first need them.
struct Pools(HashMap<(usize, Vec<usize>), usize>);

impl Pools {
    fn new(index: &mut WorldIndex) -> Self {
        let mut pools = HashMap::new();
        for n in 0..index.nation_ids.len() {
            pools.insert((n, Vec::new()), n);
            index.pool_nation.push(n);
            index.pool_contracts.push(None);
        }
        Pools(pools)
    }

    /// The pool of labs in `nation` with `contracts` (sorted provider indices), made if new.
    fn of(&mut self, index: &mut WorldIndex, nation: usize, contracts: Vec<usize>) -> usize {
        let next = self.0.len();
        *self
            .0
            .entry((nation, contracts.clone()))
            .or_insert_with(|| {
                index.pool_nation.push(nation);
                index.pool_contracts.push((!contracts.is_empty()).then(|| {
                    let mut allowed = vec![false; index.provider_ids.len()];
                    for &p in &contracts {
                        allowed[p] = true;
                    }
                    allowed
                }));
                next
            })
    }
}

/// The traits of the members of `[[lab]]` entry `l`.
fn traits(
    l: &crate::scenario::Lab,
    index: &mut WorldIndex,
    pools: &mut Pools,
    scenario: &Scenario,
    homes: &[usize],
) -> Traits {
    let params = &scenario.parameters;
    let nation = index.nation_index[&l.nation];
    let mut contracts: Vec<usize> = l
        .providers
        .iter()
        .map(|p| index.provider_index[p])
        .collect();
    contracts.sort_unstable();
    contracts.dedup();
    let pool = pools.of(index, nation, contracts);
    let mean_price = {
        let prices: Vec<f64> = scenario
            .provider
            .iter()
            .filter(|p| l.providers.is_empty() || l.providers.contains(&p.id))
            .map(|p| p.price)
            .collect();
        prices.iter().sum::<f64>() / prices.len().max(1) as f64
    };
    let cloud = (1.0 - l.own_share) * l.budget * 1e9 / (mean_price * 12.0 * params.hours_per_month);
    let training = (l.owned + cloud) * l.training_share;
    let monthly_growth =
        ((1.0 + l.budget_growth) / (1.0 - params.price_performance)).powf(1.0 / 12.0);
    // The calendar of the trends: months since the world's data month.
    let since_data = scenario.months_since_data() as i32;
    let efficiency = |t: i32| {
        params
            .algorithmic_efficiency_per_year
            .powf((since_data + t) as f64 / 12.0)
    };
    // The ring holds the longest run there can be; the run's length picks how much of it counts.
    let window = params.max_run_months as usize;
    let runs: Vec<f64> = (0..window)
        .map(|j| {
            let tau = j as i32 - window as i32;
            training
                * monthly_growth.powi(tau)
                * efficiency(tau)
                * params.run_share
                * params.flop_per_h100e_month
        })
        .collect();
    let total = run_flop(&runs, window - 1, params.run_length(since_data as u32));
    Traits {
        nation,
        pool,
        origin: l
            .owned_origin
            .as_deref()
            .and_then(|b| bloc_of(scenario, b))
            .unwrap_or(homes[nation]),
        runs,
        total,
        extraction: l.attempts_extraction(),
    }
}

/// Labs, in the order [`order_labs`] gave them, spawned as a batch: the ECS's tables are sized once for
/// every lab, not grown lab by lab. Adds their own clusters' watts to `watts_at_start`; returns every
/// lab's kind, in index order.
fn spawn_labs(
    world: &mut World,
    index: &mut WorldIndex,
    scenario: &Scenario,
    homes: &[usize],
    watts_at_start: &mut [f64],
) -> Vec<LabKind> {
    let params = &scenario.parameters;
    let (k, w0) = (scenario.bloc.len(), params.watts_per_h100e);
    let start_price = params.chip_trend_price(scenario.months_since_data());
    let total = index.lab_population.len();
    let mut pools = Pools::new(index);
    let mut traits_of: Vec<Option<Traits>> = (0..scenario.lab.len()).map(|_| None).collect();
    let mut lab_kinds = Vec::with_capacity(total);
    let mut own_cluster = Vec::with_capacity(total);
    let mut holds_chips = Vec::with_capacity(total);
    let mut runs = Vec::with_capacity(total * params.max_run_months as usize);
    index.lab_nation.reserve(total);
    let populations = std::mem::take(&mut index.lab_population);
    let members = std::mem::take(&mut index.lab_member);
    let bundles = populations.iter().enumerate().map(|(i, &entry)| {
        let l = &scenario.lab[entry as usize];
        let t = traits_of[entry as usize]
            .get_or_insert_with(|| traits(l, index, &mut pools, scenario, homes));
        index.lab_nation.push(t.nation);
        lab_kinds.push(l.kind);
        let own = l.own_share > 0.0 && l.budget > 0.0;
        let holds = own || l.owned > 0.0;
        own_cluster.push(own);
        holds_chips.push(holds);
        runs.extend_from_slice(&t.runs);
        watts_at_start[t.nation] += l.owned * w0;
        (
            Lab {
                idx: i,
                nation: t.nation,
                training_share: l.training_share,
                own_share: l.own_share,
                weights: l.weights,
                extraction: t.extraction,
                holds_chips: holds,
            },
            (
                LabPlan {
                    budget_growth: l.budget_growth,
                    budget_growth_without_controls: l
                        .budget_growth_without_controls
                        .unwrap_or(l.budget_growth),
                },
                LabBudget {
                    budget: l.budget * 1e9,
                    ..Default::default()
                },
                LabMarket {
                    pool: t.pool as u32,
                    prev_pool: t.pool as u32,
                    ..Default::default()
                },
                LabCompute::default(),
                LabOutcome::default(),
                LabResearch {
                    largest_run: t.total,
                    // A lab that has trained nothing starts at capability 0 (1 FLOP).
                    capability_flop: t.total.max(1.0),
                    ..Default::default()
                },
                LabStranding::default(),
            ),
            initial_vintages(
                l.owned,
                params.initial_age_months,
                t.origin,
                k,
                (w0, start_price),
            ),
            Purchase {
                bought: smallvec::smallvec![0.0; k],
                ..Default::default()
            },
        )
    });
    index.labs = world.spawn_batch(bundles).collect();
    world.insert_resource(TrainingRuns {
        window: params.max_run_months as usize,
        flop: runs,
    });
    index.lab_population = populations;
    index.lab_member = members;
    // The labs flagged in `which`, in index order.
    let labs_where = |which: &[bool]| -> Vec<Entity> {
        index
            .labs
            .iter()
            .zip(which)
            .filter_map(|(&e, &yes)| yes.then_some(e))
            .collect()
    };
    index.own_cluster_labs = labs_where(&own_cluster);
    index.chip_holding_labs = labs_where(&holds_chips);
    index.pools = pools.0.len();
    lab_kinds
}

/// Intermediaries; routes without an explicit share split what the others leave.
fn spawn_intermediaries(world: &mut World, index: &mut WorldIndex, scenario: &Scenario) {
    let explicit: f64 = scenario.intermediary.iter().filter_map(|m| m.share).sum();
    let implicit = scenario
        .intermediary
        .iter()
        .filter(|m| m.share.is_none())
        .count();
    let default_share = if implicit > 0 {
        ((1.0 - explicit) / implicit as f64).max(0.0)
    } else {
        0.0
    };
    for (i, m) in sorted_by_id(&scenario.intermediary, |m| &m.id)
        .iter()
        .enumerate()
    {
        let e = world
            .spawn(Intermediary {
                idx: i,
                id: m.id.clone(),
                nation: index.nation_index[&m.nation],
                leakage_rate: m.leakage_rate,
                enforcement: m.enforcement,
                share: m.share.unwrap_or(default_share),
            })
            .id();
        index.intermediaries.push(e);
    }
}

/// Policies, in scenario order, each converted once into its typed measure.
fn spawn_policies(world: &mut World, index: &WorldIndex, scenario: &Scenario) {
    let start = scenario.scenario.start;
    for (i, p) in scenario.policy.iter().enumerate() {
        world.spawn(PolicyRule::new(
            i,
            p,
            (
                start.months_until(scenario.policy_start(p)),
                p.end.map(|e| start.months_until(e)),
            ),
            "scenario".into(),
            index,
        ));
    }
}

/// The state every submodel reads: the world's index, the parameters, the clock, the random streams and
/// the event log. Each submodel installs its own ([`crate::systems::install`]).
fn insert_shared(
    world: &mut World,
    index: WorldIndex,
    scenario: &Scenario,
    seed: u64,
    recording: Recording,
) {
    world.insert_resource(index);
    world.insert_resource(Params(scenario.parameters.clone()));
    world.insert_resource(Clock {
        t: 0,
        start: scenario.scenario.start,
        months: scenario.scenario.months,
        since_data: scenario.months_since_data(),
    });
    world.insert_resource(Rngs::new(seed));
    world.insert_resource(EventLog {
        events: Vec::new(),
        keep: recording.detail.events(),
    });
}

#[cfg(test)]
mod tests {
    use super::push_padded;

    #[test]
    fn member_numbers_are_zero_padded_as_in_ids() {
        let padded = |n, width| {
            let mut text = Vec::new();
            push_padded(&mut text, n, width);
            String::from_utf8(text).unwrap()
        };
        assert_eq!(padded(7, 4), "0007");
        assert_eq!(padded(12345, 4), "12345");
        assert_eq!(padded(1, 7), "0000001");
        assert_eq!(padded(100_000_000, 9), "100000000");
        assert_eq!(padded(u32::MAX, 4), "4294967295");
        for (n, width) in [(1u32, 4usize), (999_920, 6), (10_000_000, 8)] {
            assert_eq!(padded(n, width), format!("{n:0width$}"));
        }
    }
}
