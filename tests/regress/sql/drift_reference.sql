-- Every model keeps the training distributions of its raw features and of its score (the
-- reference that drift monitoring compares live data with): numbers in the distinct-decile bins
-- plus a NULL bin, text by category plus NULL and unseen bins. Checked against PostgreSQL's own
-- counts and percentiles on the training rows.
\set VERBOSITY verbose
SELECT model_id AS m FROM aimass.train('drift_ref', 'credit_data', 'status', exclude => ARRAY['id'],
                                        split => 'column:split', deploy => 'never') \gset
SELECT r.key AS feature, r.value ->> 'kind' AS kind
  FROM aimass.models, jsonb_each(reference -> 'features') r WHERE id = :m ORDER BY 1;
-- income: the edges are the training deciles, the counts add up to the training rows and the
-- last bin holds the NULLs.
WITH ref AS (SELECT reference #> '{features,income}' AS r FROM aimass.models WHERE id = :m),
     deciles AS (SELECT array_agg(DISTINCT q ORDER BY q) AS d
                   FROM (SELECT unnest(percentile_cont(ARRAY[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
                                        WITHIN GROUP (ORDER BY income)) AS q
                           FROM credit_data WHERE split = 'train') x)
SELECT (SELECT array_agg(e::float8) FROM jsonb_array_elements_text(r -> 'edges') e) = d AS edges_are_deciles,
       (SELECT sum(c::float8) FROM jsonb_array_elements_text(r -> 'counts') c)
         = (SELECT count(*) FROM credit_data WHERE split = 'train') AS counts_are_the_train_rows,
       (r -> 'counts' ->> -1)::float8 = (SELECT count(*) FROM credit_data WHERE split = 'train' AND income IS NULL) AS null_bin,
       (r -> 'counts' ->> 0)::float8 = (SELECT count(*) FROM credit_data WHERE split = 'train' AND income < d[1]) AS first_bin
  FROM ref, deciles;
-- home: a count per category as GROUP BY gives, then NULL, then unseen (0 at training).
WITH ref AS (SELECT reference #> '{features,home}' AS r FROM aimass.models WHERE id = :m)
SELECT (SELECT array_agg(c::float8) FROM jsonb_array_elements_text(r -> 'counts') c)
       = (SELECT array_agg(n ORDER BY o) FROM (
            SELECT home, count(*)::float8 AS n, row_number() OVER (ORDER BY home IS NULL, home) AS o
              FROM credit_data WHERE split = 'train' GROUP BY home) g) || ARRAY[0::float8] AS category_counts,
       (SELECT array_agg(c ORDER BY c) FROM jsonb_array_elements_text(r -> 'categories') c)
       = (SELECT array_agg(DISTINCT home ORDER BY home) FROM credit_data WHERE split = 'train' AND home IS NOT NULL) AS categories
  FROM ref;
-- The score's reference: deciles of the training rows' predicted probabilities.
SELECT (SELECT sum(c::float8) FROM jsonb_array_elements_text(reference #> '{score,counts}') c) AS score_rows,
       jsonb_array_length(reference #> '{score,edges}') AS score_edges
  FROM aimass.models WHERE id = :m;
