"""The Python side of the drift-check benchmark: fetch the 28 feature columns of bench_credit's 1M
rows and of the 100k reference rows with psycopg, then toad.metrics.PSI per feature (toad bins
numbers into deciles of the combined data and compares the shares). No scoring: the check a
Python user would write for the features alone.

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
        psi = timed("python: toad.metrics.PSI, 28 features", lambda: toad.metrics.PSI(live, base))
        print(psi.sort_values(ascending=False).head(5).to_string())


if __name__ == "__main__":
    main()
