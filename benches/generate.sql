-- A deterministic generator of a realistic credit-application table for benchmarks:
--   psql -v rows=1000000 -v shift=0 -f benches/generate.sql     (make bench-data ROWS=1000000)
-- Creates bench_credit: 31 columns (id, a timestamp, 18 numeric, 8 text incl. a high-cardinality
-- merchant id, 2 booleans, the target `bad`), missing values, heavy tails and injected outliers, and
-- an event rate of about 5 % driven by a known logistic ground truth with interactions. Every value
-- is a function of the row number (hashes, not random()), so the table is the same on every run and
-- under parallel plans. `shift` (default 0) moves income, rate and utilization for drift tests.
\if :{?rows}
\else
\set rows 1000000
\endif
\if :{?shift}
\else
\set shift 0
\endif
DROP TABLE IF EXISTS bench_credit;
-- u(i, k): uniform in (0, 1) from row i and stream k (inlined by the planner).
CREATE FUNCTION pg_temp.u(i bigint, k int) RETURNS float8 IMMUTABLE PARALLEL SAFE LANGUAGE sql
AS $$ SELECT ((hashint8(i * 64 + k) & 2147483647)::float8 + 0.5) / 2147483648 $$;
CREATE TABLE bench_credit AS
WITH z AS (
  SELECT i,
         sqrt(-2 * ln(pg_temp.u(i, 0))) * cos(2 * pi() * pg_temp.u(i, 1)) AS z1,
         sqrt(-2 * ln(pg_temp.u(i, 2))) * cos(2 * pi() * pg_temp.u(i, 3)) AS z2,
         sqrt(-2 * ln(pg_temp.u(i, 4))) * cos(2 * pi() * pg_temp.u(i, 5)) AS z3
    FROM generate_series(1, :rows) i
), f AS (
  SELECT i, z1, z2, z3,
         (21 + floor(pg_temp.u(i, 6) * 50))::int AS age,
         round((exp(3.6 + 0.5 * z1 + :shift * 0.3) * 1000)::numeric, 2)::float8 AS income0,
         round((pg_temp.u(i, 7) * 60)::numeric, 1)::float8 AS dti,
         round(least(1, greatest(0, 0.35 + 0.25 * z2 + :shift * 0.1))::numeric, 3)::float8 AS utilization,
         floor(-ln(pg_temp.u(i, 8)) * 1.2)::int AS n_inquiries,
         CASE WHEN pg_temp.u(i, 9) < 0.06 THEN 1 + floor(pg_temp.u(i, 10) * 3)::int ELSE 0 END AS dpd_30,
         (ARRAY['rent', 'own', 'mortgage', 'other', 'parents'])[1 + floor(pg_temp.u(i, 11) * pg_temp.u(i, 11) * 5)::int] AS home,
         (ARRAY['salaried', 'self_employed', 'retired', 'student', 'unemployed'])[1 + floor(pg_temp.u(i, 12) ^ 2 * 5)::int] AS job
    FROM z
)
SELECT i AS id,
       timestamp '2024-01-01' + (i * interval '31 seconds') AS applied_at,
       age,
       CASE WHEN pg_temp.u(i, 13) < 0.08 THEN NULL WHEN pg_temp.u(i, 14) < 0.001 THEN income0 * 100 ELSE income0 END AS income,
       round((income0 * dti / 100 * (0.5 + pg_temp.u(i, 15)))::numeric, 2)::float8 AS debt,
       CASE WHEN pg_temp.u(i, 16) < 0.3 THEN 0 ELSE round((exp(9 + 1.2 * z3))::numeric, 0)::float8 END AS assets,
       floor(pg_temp.u(i, 17) * 30)::int AS seniority,
       (1000 + floor(pg_temp.u(i, 18) * 39) * 1000)::int AS amount,
       (ARRAY[12, 24, 36, 48, 60])[1 + floor(pg_temp.u(i, 19) * 5)::int] AS term,
       round((0.05 + 0.2 * pg_temp.u(i, 20) + :shift * 0.01)::numeric, 4)::float8 AS rate,
       utilization,
       (1 + floor(-ln(pg_temp.u(i, 21)) * 4))::int AS n_accounts,
       n_inquiries,
       dpd_30,
       CASE WHEN dpd_30 > 0 AND pg_temp.u(i, 22) < 0.3 THEN 1 ELSE 0 END AS dpd_90,
       CASE WHEN dpd_30 = 0 AND pg_temp.u(i, 23) < 0.6 THEN NULL ELSE floor(pg_temp.u(i, 23) * 48)::int END AS months_since_delinq,
       round((income0 * utilization * 0.4)::numeric, 2)::float8 AS revol_bal,
       dti,
       (300 + floor(pg_temp.u(i, 1) * 1700))::int AS expenses,
       round((1000 + pg_temp.u(i, 3) * 49000)::numeric, 2)::float8 AS price,
       CASE WHEN pg_temp.u(i, 5) < 0.01 THEN NULL ELSE home END AS home,
       (ARRAY['single', 'married', 'divorced', 'widowed'])[1 + floor(pg_temp.u(i, 7) ^ 1.5 * 4)::int] AS marital,
       job,
       (ARRAY['car', 'home', 'education', 'medical', 'travel', 'debt_consolidation', 'business', 'wedding', 'moving', 'other'])[1 + floor(pg_temp.u(i, 9) * 10)::int] AS purpose,
       'R' || lpad((1 + floor(pg_temp.u(i, 11) * 20))::text, 2, '0') AS region,
       (ARRAY['branch', 'web', 'broker'])[1 + floor(pg_temp.u(i, 13) * 3)::int] AS channel,
       (ARRAY['primary', 'secondary', 'bachelor', 'master', 'doctorate'])[1 + floor(pg_temp.u(i, 15) * 5)::int] AS education,
       'M' || (1 + floor(pg_temp.u(i, 17) ^ 3 * 50000))::int AS merchant,
       pg_temp.u(i, 19) < 0.9 AS has_phone,
       pg_temp.u(i, 21) < 0.7 AS has_email,
       -- Ground truth: logistic in a few features plus interactions; about 5 % events.
       pg_temp.u(i, 40) <
         1 / (1 + exp(-(-4.2 + 1.1 * utilization + 0.9 * dpd_30 + 0.25 * n_inquiries + 0.02 * dti
                        - 0.4 * ln(income0 / 36000 + 0.1) - 0.015 * (age - 40)
                        + CASE WHEN job = 'unemployed' THEN 1.0 WHEN job = 'student' THEN 0.5 ELSE 0 END
                        + CASE WHEN home = 'rent' AND utilization > 0.6 THEN 0.6 ELSE 0 END
                        + 0.5 * (dpd_30 > 0 AND n_inquiries > 2)::int))) AS bad
  FROM f;
ANALYZE bench_credit;
SELECT count(*) AS rows, round(avg(bad::int), 4) AS event_rate,
       pg_size_pretty(pg_total_relation_size('bench_credit')) AS size
  FROM bench_credit;
