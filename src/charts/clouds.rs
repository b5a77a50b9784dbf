//! The clouds: what each bloc's clouds hold, how much of it is used — all of them together and the
//! typical one — and what they earn against what they invest. It shows the providers table, where idle
//! capacity (priced down and not replaced: `idle_utilisation`) and the parents' money can be read.

use super::axes::{
    Axes, X_DESC, draw_line, fmt_num, linear_range, log_range, panel_caption, time_panel,
};
use super::legend::{LegendItem, legend};
use super::style::{LineStyle, palette};
use super::{ChartSpec, RunChartSpec, RunData};
use crate::run_data::ProviderSeries;
use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;

const Y_CAPACITY: &str = "H100e (log scale)";
const Y_USED: &str = "% of capacity";
const Y_MONEY: &str = "B USD a year (log scale)";

pub(super) struct Clouds;

impl ChartSpec for Clouds {
    type Data = RunData;

    fn stem(&self) -> &'static str {
        "clouds"
    }

    fn title(&self, _: &RunData) -> String {
        "The clouds: what they hold, how much is used, what they earn and invest".into()
    }

    fn axis_labels(&self, _: &RunData) -> Vec<String> {
        vec![
            X_DESC.into(),
            Y_CAPACITY.into(),
            Y_USED.into(),
            Y_MONEY.into(),
        ]
    }

    fn height(&self, _: &RunData) -> u32 {
        1160
    }

    fn draw<DB>(&self, data: &RunData, area: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let dashed = |i: usize| LineStyle::dashed(palette::series(i));
        let items: Vec<LegendItem> = data
            .blocs
            .iter()
            .enumerate()
            .map(|(i, b)| LegendItem::line(format!("{}'s clouds", b.name), palette::series(i)))
            .collect();
        let parts = legend(area, &items)?.split_evenly((3, 1));
        let capacity = by_bloc(data, &data.provider_series("capacity_h100e")?);
        let served = by_bloc(data, &data.provider_series("served_h100e")?);

        let top = panel_caption(&parts[0], "Open capacity, by the bloc of the cloud")?;
        let range = log_range(
            capacity
                .iter()
                .flat_map(|b| b.total.iter().map(|p| p.1))
                .filter(|v| *v > 0.0),
        );
        let mut chart = time_panel(
            &top,
            data.month_range(),
            range.log_scale(),
            &Axes {
                y_desc: Y_CAPACITY,
                x_desc: false,
                y_labels: 6,
                y_fmt: &fmt_num,
            },
        )?;
        for (i, bloc) in capacity.iter().enumerate() {
            draw_line(&mut chart, &bloc.total, palette::series(i), true)?;
        }

        let middle = panel_caption(
            &parts[1],
            "How much of it is used: all the bloc's clouds (solid) and the mean cloud, each counted once (dashed)",
        )?;
        let used: Vec<Utilisation> = capacity
            .iter()
            .zip(&served)
            .map(|(k, s)| utilisation(k, s))
            .collect();
        let mut chart = time_panel(
            &middle,
            data.month_range(),
            linear_range(
                used.iter()
                    .flat_map(|u| u.all.iter().chain(&u.mean))
                    .map(|p| p.1)
                    .chain([100.0]),
                0.0,
            ),
            &Axes {
                y_desc: Y_USED,
                x_desc: false,
                y_labels: 5,
                y_fmt: &fmt_num,
            },
        )?;
        for (i, u) in used.iter().enumerate() {
            draw_line(&mut chart, &u.all, palette::series(i), false)?;
            draw_line(&mut chart, &u.mean, dashed(i), false)?;
        }

        let bottom = panel_caption(
            &parts[2],
            "Revenue (solid) and capex (dashed), a year; the gap is the parents' money",
        )?;
        let revenue = by_bloc(data, &data.provider_series("revenue_busd")?);
        let capex = by_bloc(data, &data.provider_series("capex_busd")?);
        let revenue: Vec<Vec<(f64, f64)>> = revenue
            .iter()
            .map(|b| b.total.iter().map(|&(x, y)| (x, 12.0 * y)).collect())
            .collect();
        let capex: Vec<Vec<(f64, f64)>> = capex.into_iter().map(|b| b.total).collect();
        let range = log_range(
            revenue
                .iter()
                .chain(&capex)
                .flatten()
                .map(|p| p.1)
                .filter(|v| *v > 0.0),
        );
        let mut chart = time_panel(
            &bottom,
            data.month_range(),
            range.log_scale(),
            &Axes {
                y_desc: Y_MONEY,
                x_desc: true,
                y_labels: 6,
                y_fmt: &fmt_num,
            },
        )?;
        for (i, (r, c)) in revenue.iter().zip(&capex).enumerate() {
            draw_line(&mut chart, r, palette::series(i), true)?;
            draw_line(&mut chart, c, dashed(i), true)?;
        }
        Ok(())
    }
}

impl RunChartSpec for Clouds {
    fn drawn_for(&self, data: &RunData) -> bool {
        data.providers.height() > 0
    }

    fn how_to_read(&self, data: &RunData) -> String {
        let first = data.blocs.first().map_or("", |b| b.name.as_str());
        format!(
            "Each colour is the clouds of one bloc (the {first}'s in blue). The top panel is how many \
             H100-equivalents of chips they hold, open to customers, on a logarithmic scale. The middle \
             panel is the share of that capacity rented: solid for all of the bloc's clouds together, \
             dominated by the largest, and dashed for the mean cloud, each counted once, so a dashed \
             line far below the solid one means the small clouds stand idle while the large ones are \
             full. Idle clouds cut their prices toward what running their chips costs and build less \
             until they are used again. The bottom panel is money, on a logarithmic scale: what the \
             clouds earn from renting (solid) against what they plan to spend on chips and datacentres \
             (dashed); where the dashed line is above the solid one, their parent companies' other \
             businesses pay the difference."
        )
    }
}

/// One bloc's monthly sum over its providers, and its providers' own series (in id order).
struct BlocSeries {
    total: Vec<(f64, f64)>,
    providers: Vec<Vec<(f64, f64)>>,
}

/// The providers' series summed by bloc, in the run's bloc order (a bloc without clouds is empty).
fn by_bloc(data: &RunData, series: &[ProviderSeries]) -> Vec<BlocSeries> {
    let mut of: BTreeMap<&str, Vec<&ProviderSeries>> = BTreeMap::new();
    for s in series {
        of.entry(s.bloc.as_str()).or_default().push(s);
    }
    data.blocs
        .iter()
        .map(|b| {
            let members = of.get(b.id.as_str()).cloned().unwrap_or_default();
            let mut total: Vec<(f64, f64)> = members
                .first()
                .map(|s| s.points.iter().map(|&(x, _)| (x, 0.0)).collect())
                .unwrap_or_default();
            for s in &members {
                for (t, &(_, y)) in total.iter_mut().zip(&s.points) {
                    t.1 += y;
                }
            }
            BlocSeries {
                total,
                providers: members.iter().map(|s| s.points.clone()).collect(),
            }
        })
        .collect()
}

/// A bloc's utilisation in per cent, month by month.
struct Utilisation {
    /// Served over open capacity, all its clouds together.
    all: Vec<(f64, f64)>,
    /// The mean of its clouds' own, each counted once (a cloud with nothing open that month left out).
    mean: Vec<(f64, f64)>,
}

/// A bloc's [`Utilisation`].
fn utilisation(capacity: &BlocSeries, served: &BlocSeries) -> Utilisation {
    let all = capacity
        .total
        .iter()
        .zip(&served.total)
        .filter(|(k, _)| k.1 > 0.0)
        .map(|(&(x, k), &(_, s))| (x, 100.0 * s / k))
        .collect();
    let mean = capacity
        .total
        .iter()
        .enumerate()
        .filter_map(|(t, &(x, _))| {
            let shares: Vec<f64> = capacity
                .providers
                .iter()
                .zip(&served.providers)
                .filter_map(|(k, s)| {
                    let (k, s) = (k.get(t)?.1, s.get(t)?.1);
                    (k > 0.0).then(|| s / k)
                })
                .collect();
            (!shares.is_empty())
                .then(|| (x, 100.0 * shares.iter().sum::<f64>() / shares.len() as f64))
        })
        .collect();
    Utilisation { all, mean }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bloc(total: &[f64], providers: &[&[f64]]) -> BlocSeries {
        let points = |v: &[f64]| v.iter().enumerate().map(|(t, &y)| (t as f64, y)).collect();
        BlocSeries {
            total: points(total),
            providers: providers.iter().map(|p| points(p)).collect(),
        }
    }

    #[test]
    fn utilisation_is_weighted_by_capacity_together_and_counts_each_cloud_once_on_the_mean() {
        // A large cloud full and a small one idle: together 91 % used, the mean cloud 50 %.
        let capacity = bloc(&[110.0], &[&[100.0], &[10.0]]);
        let served = bloc(&[100.0], &[&[100.0], &[0.0]]);
        let u = utilisation(&capacity, &served);
        assert!((u.all[0].1 - 100.0 * 100.0 / 110.0).abs() < 1e-9);
        assert!((u.mean[0].1 - 50.0).abs() < 1e-9);
        // A cloud with nothing open is left out of the mean, and a bloc with nothing open has no point.
        let capacity = bloc(&[100.0, 0.0], &[&[100.0, 0.0], &[0.0, 0.0]]);
        let served = bloc(&[50.0, 0.0], &[&[50.0, 0.0], &[0.0, 0.0]]);
        let u = utilisation(&capacity, &served);
        assert_eq!(u.all, vec![(0.0, 50.0)]);
        assert_eq!(u.mean, vec![(0.0, 50.0)]);
    }
}
