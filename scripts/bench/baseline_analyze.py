"""Baseline for `npm run bench`: the seed's analysis computation (analyze_calibration.py) in
json + numpy — load every record, then per-step Brier, 10-bin ECE and accuracy."""

import json
import math
import sys

import numpy as np


def ece(p, a, n_bins=10):
    total = 0.0
    for i in range(n_bins):
        lo, hi = i / n_bins, (i + 1) / n_bins
        mask = (p >= lo) & (p < hi) if i < n_bins - 1 else (p >= lo) & (p <= hi)
        if mask.sum():
            total += (mask.sum() / len(p)) * abs(a[mask].mean() - p[mask].mean())
    return total


def main(path, batch_size=1024):
    with open(path) as f:
        records = [json.loads(line) for line in f if line.strip()]
    rows = []
    for s in range(math.ceil(len(records) / batch_size)):
        chunk = records[s * batch_size:(s + 1) * batch_size]
        p = np.array([r["p_yes"] for r in chunk])
        a = np.array([1.0 if str(r["ground_truth"]).lower() == "true" else 0.0 for r in chunk])
        rows.append((s, float(np.mean([r["brier_score"] for r in chunk])), float(ece(p, a)),
                     float(np.mean((p > 0.5) == (a == 1.0))), float(np.mean([r["reward"] for r in chunk]))))
    json.dump(rows, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
