"""fracture's Sobol estimators against SALib's, on the same samples and the same outputs.

SALib draws a Saltelli/Sobol sample of the Ishigami function (three inputs on [-pi, pi]); the outputs,
shifted by 1000 so that their mean is large against their spread, go both to SALib's `sobol.analyze` and
to fracture's estimator (`examples/sobol_check.rs`, given as the command to run). Fails unless S1 and ST
agree within 0.02 for every input. Run by `.ci/salib-check`.
"""

import subprocess
import sys

import numpy as np
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample
from SALib.test_functions import Ishigami

TOLERANCE = 0.02
SHIFT = 1000.0
N = 1024

problem = {
    "num_vars": 3,
    "names": ["x1", "x2", "x3"],
    "bounds": [[-np.pi, np.pi]] * 3,
}
X = sobol_sample.sample(problem, N, calc_second_order=False, seed=2024)
Y = Ishigami.evaluate(X) + SHIFT
salib = sobol_analyze.analyze(problem, Y, calc_second_order=False, num_resamples=200, seed=7)

command = sys.argv[1:] + [str(problem["num_vars"]), "200"]
out = subprocess.run(
    command, input="\n".join(repr(float(y)) for y in Y), capture_output=True, text=True, check=True
)
rows = [line.split("\t") for line in out.stdout.strip().splitlines()]
fracture = {int(r[0]): (float(r[1]), float(r[4]), (float(r[2]), float(r[3]))) for r in rows}

print(f"Ishigami + {SHIFT:g}, N = {N} base rows ({len(Y)} outputs), SALib's sobol sample")
print(f"{'input':<6} {'S1 SALib':>9} {'S1 fracture':>12} {'ST SALib':>9} {'ST fracture':>12}")
worst = 0.0
for i, name in enumerate(problem["names"]):
    s1, st, (low, high) = fracture[i]
    d1, dt = abs(s1 - salib["S1"][i]), abs(st - salib["ST"][i])
    worst = max(worst, d1, dt)
    print(f"{name:<6} {salib['S1'][i]:9.4f} {s1:12.4f} {salib['ST'][i]:9.4f} {st:12.4f}"
          f"   (fracture S1 interval [{low:.3f}, {high:.3f}], SALib ±{salib['S1_conf'][i]:.3f})")
print(f"largest difference {worst:.2e} (tolerance {TOLERANCE})")
if not worst <= TOLERANCE:
    sys.exit("salib-check: fracture and SALib disagree")
