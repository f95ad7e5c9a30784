-- The sample credit data shipped in data/ (see data/README.md), loaded into tables of the
-- current schema, with psql's client-side \copy: run psql from the repository root.
DROP TABLE IF EXISTS credit_data, lending_club;

CREATE TABLE credit_data (
    id integer PRIMARY KEY,
    status text,
    seniority integer,
    home text,
    time integer,
    age integer,
    marital text,
    records text,
    job text,
    expenses integer,
    income float8,
    assets float8,
    debt float8,
    amount integer,
    price integer,
    split text
);

\copy credit_data FROM 'data/credit_data.csv' WITH (FORMAT csv, HEADER true)

CREATE TABLE lending_club (
    id integer PRIMARY KEY,
    funded_amnt integer,
    term text,
    int_rate numeric,
    sub_grade text,
    addr_state text,
    verification_status text,
    annual_inc float8,
    emp_length text,
    delinq_2yrs integer,
    inq_last_6mths integer,
    revol_util numeric,
    acc_now_delinq integer,
    open_il_6m integer,
    open_il_12m integer,
    open_il_24m integer,
    total_bal_il float8,
    all_util float8,
    inq_fi integer,
    inq_last_12m integer,
    delinq_amnt float8,
    num_il_tl integer,
    total_il_high_credit_limit float8,
    class text,
    split text
);

\copy lending_club FROM 'data/lending_club.csv' WITH (FORMAT csv, HEADER true)
ANALYZE credit_data, lending_club;
