-- Hyperparameter search with k-fold cross-validation on the training rows: every configuration
-- and its fold scores are kept, the best mean wins and is refitted on all training rows.
\set VERBOSITY verbose
SELECT model_id AS grid, metrics -> 'search' AS headline
  FROM aimass.train('grid', 'credit_data', 'status', algorithm => 'gradient_boosting', exclude => ARRAY['id'],
                    split => 'column:split', deploy => 'never', search => 'grid', folds => 3,
                    search_params => '{"num_leaves": [4, 31], "learning_rate": [0.05, 0.2]}') \gset
-- train returns the best configuration; the catalog keeps every one.
SELECT metrics -> 'search' AS s FROM aimass.models WHERE id = :grid \gset
SELECT (:'headline'::jsonb) -> 'best_hyperparams' = (:'s'::jsonb) #> ARRAY['results', (:'s'::jsonb) ->> 'best', 'hyperparams']
       AS headline_names_the_best;
CREATE TEMP TABLE trials AS
  SELECT ord - 1 AS i, r -> 'hyperparams' AS hp, (r ->> 'cv_mean')::float8 AS cv_mean,
         (SELECT array_agg(x::float8) FROM jsonb_array_elements_text(r -> 'fold_scores') x) AS folds
    FROM jsonb_array_elements((:'s'::jsonb) -> 'results') WITH ORDINALITY AS t(r, ord);
SELECT (:'s'::jsonb) ->> 'method' AS method, (:'s'::jsonb) ->> 'metric' AS metric, count(*) AS configurations,
       bool_and(cardinality(folds) = 3) AS three_folds_each,
       bool_and(abs(cv_mean - (SELECT avg(f) FROM unnest(folds) f)) < 1e-12) AS mean_of_folds,
       bool_and(cv_mean BETWEEN 0.75 AND 0.9) AS plausible_auc,
       count(DISTINCT hp) AS distinct_configurations
  FROM trials;
-- The best is the highest mean, and the stored model carries its hyperparameters.
SELECT ((:'s'::jsonb) ->> 'best')::int = (SELECT i FROM trials ORDER BY cv_mean DESC LIMIT 1) AS best_is_highest,
       (SELECT hp FROM trials WHERE i = ((:'s'::jsonb) ->> 'best')::int) <@ hyperparams AS model_has_best_hyperparams
  FROM aimass.models WHERE id = :grid;
-- Random search over ranges: deterministic under the seed, draws inside the ranges.
SELECT model_id AS ra FROM aimass.train('random', 'credit_data', 'status', exclude => ARRAY['id'], split => 'column:split', deploy => 'never',
                    search => 'random', metric => 'ks', search_params => '{"n_iter": 3, "alpha": {"min": 0.001, "max": 100, "log": true}}') \gset
SELECT model_id AS rb FROM aimass.train('random', 'credit_data', 'status', exclude => ARRAY['id'], split => 'column:split', deploy => 'never',
                    search => 'random', metric => 'ks', search_params => '{"n_iter": 3, "alpha": {"min": 0.001, "max": 100, "log": true}}') \gset
SELECT jsonb_path_query_array(a.metrics, '$.search.results[*].hyperparams.alpha')
       = jsonb_path_query_array(b.metrics, '$.search.results[*].hyperparams.alpha') AS same_draws,
       (SELECT bool_and(x::float8 BETWEEN 0.001 AND 100) FROM jsonb_array_elements_text(jsonb_path_query_array(a.metrics, '$.search.results[*].hyperparams.alpha')) x) AS in_range,
       jsonb_array_length(a.metrics #> '{search,results}') AS configurations, a.metrics #>> '{search,metric}' AS metric
  FROM aimass.models a, aimass.models b WHERE a.id = :ra AND b.id = :rb;
-- folds alone: the cross-validated score of the given hyperparameters; progress per configuration
-- (the regression database sets aimass.progress_interval to -1, so that timing never shows).
SET aimass.progress_interval = 0;
SELECT model_id AS cv FROM aimass.train('cv', 'credit_data', 'amount', algorithm => 'linear', features => ARRAY['price', 'income', 'home'],
                    split => 'column:split', deploy => 'never', folds => 4) \gset
SELECT jsonb_array_length(metrics #> '{cv,results,0,fold_scores}') AS folds, metrics #>> '{cv,metric}' AS metric
  FROM aimass.models WHERE id = :cv;
RESET aimass.progress_interval;

-- Bad input: refused before anything is fitted.
SELECT * FROM aimass.train('bad', 'credit_data', 'status', search => 'bayes', search_params => '{"alpha": [1]}');
SELECT * FROM aimass.train('bad', 'credit_data', 'status', search_params => '{"alpha": [1]}');
SELECT * FROM aimass.train('bad', 'credit_data', 'status', metric => 'auc');
SELECT * FROM aimass.train('bad', 'credit_data', 'status', folds => 3, metric => 'rmse');
SELECT * FROM aimass.train('bad', 'credit_data', 'status', folds => 1);
SELECT * FROM aimass.train('bad', 'credit_data', 'status', folds => 50);
SELECT * FROM aimass.train('bad', 'credit_data', 'status', search => 'grid', search_params => '{"alpha": 1}');
SELECT * FROM aimass.train('bad', 'credit_data', 'status', search => 'grid', search_params => '{"alpha": [1, -1]}');
SELECT * FROM aimass.train('bad', 'credit_data', 'status', search => 'grid', search_params => '{}');
SELECT * FROM aimass.train('bad', 'credit_data', 'status', search => 'random', search_params => '{"alpha": {"min": 5, "max": 1}}');
SELECT count(*) AS no_bad_project FROM aimass.projects WHERE name = 'bad';
