"""The Python side of the risk-metric benchmark: fetch two columns of bench_credit with psycopg and
compute AUC with scikit-learn, KS with toad, IV of `purpose` (10 categories) with toad, timing
each step. (toad's IV of the 50,000-category merchant id took 373 s in one run, 2026-11-28 —
its IV loops over categories with a mask each — so it is left out of the routine run.)

    python3 benches/risk_metrics.py "host=<socket dir> port=55415 user=postgres dbname=<db>"

Needs pandas, psycopg, scikit-learn and toad (pip install pandas "psycopg[binary]" scikit-learn toad).
"""
import sys

import numpy as np
import psycopg
import toad
from sklearn.metrics import roc_auc_score

from common import fetch, timed


def main():
    with psycopg.connect(sys.argv[1]) as conn:
        df = timed("python: fetch income, bad", lambda: fetch(conn, "SELECT income, bad FROM bench_credit"))
        m = df["income"].notna().to_numpy()
        x, y = df["income"].to_numpy(dtype=float)[m], df["bad"].to_numpy(dtype=int)[m]
        timed("python: scikit-learn roc_auc_score", lambda: roc_auc_score(y, x))
        timed("python: toad KS", lambda: toad.metrics.KS(x, y))
        dm = timed("python: fetch purpose, bad", lambda: fetch(conn, "SELECT purpose, bad FROM bench_credit"))
        timed("python: toad IV of purpose", lambda: toad.stats.IV(dm["purpose"].to_numpy(), dm["bad"].to_numpy(dtype=int)))


if __name__ == "__main__":
    main()
