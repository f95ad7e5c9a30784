"""The Python side of the drift-check benchmark: fetch the 28 feature columns of bench_credit's 1M
rows and of the 100k reference rows with psycopg, then toad.metrics.PSI per feature, numbers binned in the deciles of the
reference (a toad Combiner, method quantile) and text by category. No scoring: the check a Python
user would write for the features alone. (toad leaves out bins empty on one side, so the
merchant id's categories unseen in the reference count for nothing there; aimass counts them.)

    python3 benches/monitoring.py "host=<socket dir> port=55415 user=postgres dbname=<db>"
"""
import sys

import psycopg
import toad

from common import fetch, timed

FEATURES = ("age, income, debt, assets, seniority, amount, term, rate, utilization, n_accounts, n_inquiries, "
            "dpd_30, dpd_90, months_since_delinq, revol_bal, dti, expenses, price, home, marital, job, purpose, "
            "region, channel, education, merchant, has_phone, has_email")


def main():
    with psycopg.connect(sys.argv[1]) as conn:
        base = timed("python: fetch the 100k reference rows", lambda: fetch(conn, f"SELECT {FEATURES} FROM bench_monitor_ref"))
        live = timed("python: fetch the 1M live rows", lambda: fetch(conn, f"SELECT {FEATURES} FROM bench_credit"))
        def psi():
            combiner = toad.transform.Combiner()
            numbers = [c for c in base.columns if base[c].dtype.kind in "fi"]
            combiner.fit(base[numbers], method="quantile", n_bins=10)
            return toad.metrics.PSI(live, base, combiner=combiner)

        psi = timed("python: toad Combiner (deciles) + toad.metrics.PSI, 28 features", psi)
        print(psi.sort_values(ascending=False).head(5).to_string())


if __name__ == "__main__":
    main()
