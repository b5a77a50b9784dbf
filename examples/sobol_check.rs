//! fracture's Sobol estimators on outcomes computed elsewhere, for checking them against SALib on the
//! same samples (`.ci/salib-check` runs it).
//!
//! ```sh
//! cargo run --example sobol_check -- D [RESAMPLES] < outputs.txt
//! ```
//!
//! Reads one model output per line, in the order of SALib's `sobol.sample(..., calc_second_order=False)`:
//! for each base row j, the k + 2 outputs at A_j, AB_1j … AB_Dj, B_j. Prints one line per parameter:
//! `index<TAB>S1<TAB>S1_low<TAB>S1_high<TAB>ST<TAB>ST_low<TAB>ST_high`.

use anyhow::{Context, Result, bail};
use std::io::Read;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let d: usize = args
        .next()
        .context("usage: sobol_check D [RESAMPLES] < outputs.txt")?
        .parse()
        .context("D, the number of parameters, is not a number")?;
    let resamples: usize = match args.next() {
        Some(r) => r.parse().context("RESAMPLES is not a number")?,
        None => 1000,
    };
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    let y = text
        .split_whitespace()
        .enumerate()
        .map(|(i, v)| {
            v.parse::<f64>()
                .with_context(|| format!("output {}: `{v}` is not a number", i + 1))
        })
        .collect::<Result<Vec<f64>>>()?;
    let step = d + 2;
    if d == 0 || y.is_empty() || !y.len().is_multiple_of(step) {
        bail!(
            "{} outputs are not a whole number of base rows of D + 2 = {step}",
            y.len()
        );
    }
    let n = y.len() / step;
    let ya: Vec<f64> = (0..n).map(|j| y[j * step]).collect();
    let yb: Vec<f64> = (0..n).map(|j| y[j * step + step - 1]).collect();
    let yab: Vec<Vec<f64>> = (0..d)
        .map(|i| (0..n).map(|j| y[j * step + 1 + i]).collect())
        .collect();
    for (i, s) in fracture::sweep::analysis::sobol_indices(&ya, &yb, &yab, resamples, 1)
        .iter()
        .enumerate()
    {
        println!(
            "{i}\t{}\t{}\t{}\t{}\t{}\t{}",
            s.s1, s.s1_low, s.s1_high, s.st, s.st_low, s.st_high
        );
    }
    Ok(())
}
