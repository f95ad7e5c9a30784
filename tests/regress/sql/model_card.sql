-- Model cards: a self-contained HTML document (inline SVG, no script or external asset) and a
-- markdown form, with the figures the catalog holds.
SELECT model_id AS card_model FROM aimass.train('card', 'credit_data', 'status', exclude => ARRAY['id'],
       split => 'column:split', deploy => 'always') \gset
SELECT model_id AS card_gbdt FROM aimass.train('card', 'credit_data', 'status', exclude => ARRAY['id'],
       algorithm => 'gradient_boosting', hyperparams => '{"n_estimators": 20}', split => 'column:split',
       deploy => 'never') \gset
SELECT aimass.model_card(:card_model) AS html \gset
SELECT left(:'html', 15) AS starts_with,
       (length(:'html') - length(replace(:'html', '<svg', ''))) / 4 AS charts,
       :'html' !~ '<script|src=|href=|url\(|@import' AS self_contained,
       :'html' LIKE '%<title>ROC curve</title>%' AND :'html' LIKE '%KS curve (KS = %'
         AND :'html' LIKE '%<title>Lift by decile</title>%' AND :'html' LIKE '%<title>Calibration</title>%' AS titled;
-- The figures are the catalog's: test and train metrics, snapshot, features, deployment history.
SELECT position(format('<tr><td>auc</td><td>%s</td><td>%s</td></tr>',
                       to_char((m.metrics -> 'train' ->> 'auc')::numeric, 'FM0.0000'),
                       to_char((m.metrics -> 'test' ->> 'auc')::numeric, 'FM0.0000')) IN :'html') > 0 AS auc_row,
       position(format('<td>content hash</td><td>%s</td>', s.content_hash) IN :'html') > 0 AS snapshot_hash,
       position(format('<td>train rows</td><td>%s</td>', s.train_rows) IN :'html') > 0 AS train_rows,
       (SELECT bool_and(position(format('<td>%s</td>', f ->> 'name') IN :'html') > 0)
          FROM jsonb_array_elements(m.features) f) AS every_feature,
       position(:'card_model' || ' (this model)' IN :'html') > 0 AS history,
       position('Importance by absolute coefficient' IN :'html') > 0 AS importance
  FROM aimass.models m JOIN aimass.snapshots s ON s.id = m.snapshot_id WHERE m.id = :card_model;
-- The stored curves agree with the SQL curve functions on the test rows.
SELECT abs((m.metrics -> 'curves' ->> 'positive_rate')::float8 - (SELECT avg((status = 'bad')::int) FROM credit_data WHERE split = 'test')) < 1e-12 AS positive_rate,
       jsonb_array_length(m.metrics -> 'curves' -> 'lift') AS lift_buckets,
       abs((m.metrics -> 'curves' -> 'lift' -> 0 ->> 'lift')::float8 - l.lift) < 1e-12 AS first_lift
  FROM aimass.models m,
       (SELECT lift FROM aimass.lift_table(
            (SELECT array_agg(aimass.predict_proba(:card_model, c) ORDER BY id) FROM credit_data c WHERE split = 'test'),
            (SELECT array_agg(status = 'bad' ORDER BY id) FROM credit_data WHERE split = 'test'), 10) WHERE bucket = 1) l
 WHERE m.id = :card_model;
-- Trees: importance by split cover; the top feature has the largest share.
SELECT position('Importance by split cover' IN aimass.model_card(:card_gbdt)) > 0 AS tree_importance,
       position('Not available' IN aimass.model_card(:card_model)) = 0 AS linear_has_importance;
-- Markdown: the same sections and figures.
SELECT aimass.model_card(:card_model, format => 'markdown') AS md \gset
SELECT line FROM regexp_split_to_table(:'md', E'\n') line WHERE line LIKE '#%';
SELECT position(format('| auc | %s | %s |',
                       to_char((metrics -> 'train' ->> 'auc')::numeric, 'FM0.0000'),
                       to_char((metrics -> 'test' ->> 'auc')::numeric, 'FM0.0000')) IN :'md') > 0 AS auc_row
  FROM aimass.models WHERE id = :card_model;
-- Names from the catalog are escaped.
SELECT model_id AS hostile_model FROM aimass.train('<script>alert(1)</script> | x', 'credit_data', 'status',
       features => ARRAY['age', 'income'], deploy => 'never') \gset
SELECT position('<script>' IN aimass.model_card(:hostile_model)) = 0 AS html_escaped,
       position('&lt;script&gt;alert(1)&lt;/script&gt;' IN aimass.model_card(:hostile_model)) > 0 AS shown_escaped,
       position('\| x' IN aimass.model_card(:hostile_model, 'markdown')) > 0 AS md_escaped;
\set VERBOSITY terse
SELECT aimass.model_card(:card_model, 'pdf');
SELECT aimass.model_card(-1);
\set VERBOSITY default
