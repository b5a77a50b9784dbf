"""Scenario discovery on a fracture sweep with EMA Workbench: which inputs lead to the worst outcomes?

    fracture sweep run SPEC --out output/sweeps
    fracture sweep export output/sweeps --out output/sweeps/export.csv
    python examples/prim.py output/sweeps/export.csv [--outcome bifurcation_index_final] [--top 0.2]
    python examples/prim.py output/sweeps/export.csv --outcome compute_share_china_final --above 0.15

Reads the export of `fracture sweep export` (CSV, or Parquet with pyarrow installed): the inputs are the
columns named by `--set` key paths (they hold a dot), the outcomes the other numeric columns. Marks the
points whose outcome is in its top 20 % (`--top`; `--bottom` for the lowest; `--above X` or `--below X`
for a level) as cases of interest, runs PRIM (Friedman and Fisher
1999, as EMA Workbench implements it) for the first box of inputs that holds them, and prints the box —
which inputs it restricts, to what range — with its coverage (the share of all cases of interest inside
the box) and density (the share of points inside that are cases of interest). Then prints the inputs'
feature scores for the outcome (extra-trees importances, seeded by `--seed`): how much each input
explains, box or not.

`--json` prints the same as one JSON object, for scripts (`.ci/prim-check` tests this file with it).
Needs ema_workbench (tested with 2.5.3; `.ci/python-requirements.txt` pins it and its dependencies).
"""

import argparse
import json
import logging
import warnings

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")  # ema_workbench warns about optional parallel back ends on import
from ema_workbench.analysis import feature_scoring, prim  # noqa: E402

ID_COLUMNS = {"point", "runs", "run_id", "replicate", "seed", "status"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", help="the file `fracture sweep export` wrote (.csv or .parquet)")
    parser.add_argument("--outcome", default="bifurcation_index_final")
    parser.add_argument("--top", type=float, default=0.2,
                        help="cases of interest: the outcome's top share of points (default 0.2)")
    parser.add_argument("--bottom", action="store_true",
                        help="look for the bottom share instead (outcomes where low is bad)")
    parser.add_argument("--above", type=float, metavar="X",
                        help="cases of interest: points whose outcome is above X (instead of --top)")
    parser.add_argument("--below", type=float, metavar="X",
                        help="cases of interest: points whose outcome is below X (instead of --top)")
    parser.add_argument("--density", "--threshold", type=float, default=0.8, dest="density",
                        help="PRIM's peeling stops when the box's density (share of cases of "
                             "interest inside it) reaches this (default 0.8); not an outcome level: "
                             "use --above or --below for that")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the feature scores' random trees (default 0: the same scores "
                             "on every run)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.above is not None and args.below is not None:
        parser.error("give --above or --below, not both")
    if (args.above is not None or args.below is not None) and args.bottom:
        parser.error("--bottom picks a share of points; --above and --below a level: give one")
    logging.getLogger("EMA").setLevel(logging.WARNING)

    table = (pd.read_parquet(args.export) if args.export.endswith(".parquet")
             else pd.read_csv(args.export))
    inputs = [c for c in table.columns if "." in c]
    if not inputs:
        parser.error(f"{args.export} has no input columns (named by --set key paths)")
    if args.outcome not in table.columns:
        outcomes = [c for c in table.columns if "." not in c and c not in ID_COLUMNS]
        parser.error(f"no outcome {args.outcome!r}; the export has: {', '.join(outcomes)}")
    table = table[table[args.outcome].notna()].reset_index(drop=True)
    x = table[inputs]
    y = table[args.outcome].to_numpy(dtype=float)

    if args.above is not None:
        cut, side = args.above, "above"
        interest = y > cut
    elif args.below is not None:
        cut, side = args.below, "below"
        interest = y < cut
    elif args.bottom:
        cut, side = np.quantile(y, args.top), f"bottom {args.top:.0%}"
        interest = y <= cut
    else:
        cut, side = np.quantile(y, 1.0 - args.top), f"top {args.top:.0%}"
        interest = y >= cut
    if not interest.any() or interest.all():
        parser.error(f"{int(interest.sum())} of {len(y)} points are cases of interest ({side} "
                     f"{cut:.4g}): PRIM needs some points in and some out; pick another level")

    finder = prim.Prim(x, interest, threshold=args.density)
    box = finder.find_box()
    limits, initial = box.box_lim, finder.box_init
    restricted = [c for c in limits.columns if not np.all(limits[c].values == initial[c].values)]

    def describe(column):
        low, high = limits[column].values
        if x[column].dtype.kind in "fi":
            return {"low": float(low), "high": float(high),
                    "full_low": float(initial[column].values[0]),
                    "full_high": float(initial[column].values[1])}
        return {"values": sorted(str(v) for v in low)}

    scores = feature_scoring.get_feature_scores_all(
        x, {args.outcome: y}, random_state=args.seed)[args.outcome]
    scores = scores.sort_values(ascending=False)
    result = {
        "outcome": args.outcome,
        "points": int(len(table)),
        "cases_of_interest": int(interest.sum()),
        "cut": float(cut),
        "box": {
            "restricted": restricted,
            "limits": {c: describe(c) for c in restricted},
            "coverage": float(box.coverage),
            "density": float(box.density),
            "mass": float(box.mass),
        },
        "feature_scores": {k: float(v) for k, v in scores.items()},
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return

    if args.above is not None or args.below is not None:
        print(f"{args.outcome}: {result['cases_of_interest']} of {result['points']} points "
              f"{side} {cut:.4g}")
    else:
        print(f"{args.outcome}: {result['cases_of_interest']} of {result['points']} points in the "
              f"{side} ({'≤' if args.bottom else '≥'} {cut:.4g})")
    if restricted:
        print(f"PRIM's first box (coverage {box.coverage:.0%}, density {box.density:.0%}, "
              f"mass {box.mass:.0%}) restricts:")
        for c in restricted:
            d = result["box"]["limits"][c]
            if "values" in d:
                print(f"  {c} in {{{', '.join(d['values'])}}}")
            else:
                print(f"  {c} in [{d['low']:.4g}, {d['high']:.4g}] "
                      f"(of [{d['full_low']:.4g}, {d['full_high']:.4g}])")
    else:
        print("PRIM found no box dense enough (try a lower --density, or more points)")
    print("Feature scores (extra-trees importance, sums to 1):")
    for name, score in scores.items():
        print(f"  {name:<40} {score:.3f}")


if __name__ == "__main__":
    main()
