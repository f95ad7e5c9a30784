-- Scorecards and reason codes on credit_data.
\set VERBOSITY verbose
SELECT model_id AS card, round((metrics #>> '{test,auc}')::numeric, 4) AS test_auc,
       (metrics #>> '{test,auc}')::float8 >= 0.82 AS good_auc
  FROM aimass.train('card', 'credit_data', 'status', algorithm => 'scorecard', exclude => ARRAY['id', 'split'],
                    split => 'column:split', hyperparams => '{"round": true}') \gset
-- The printed card (rounded points).
SELECT feature, bin, label, round(woe::numeric, 3) AS woe, points FROM aimass.scorecard(:card);
-- Rounded scores are whole numbers; the riskiest applications score lowest.
SELECT bool_and(aimass.score_points('card', c) = round(aimass.score_points('card', c))) AS whole_points,
       corr(aimass.score_points('card', c), aimass.predict_proba('card', c)) < -0.95 AS points_fall_as_risk_rises
  FROM credit_data c;

-- Unrounded: score = offset − factor · ln(p / (1 − p)) with factor = pdo / ln 2,
-- offset = base_score − factor · ln(base_odds), here pdo 40, base_score 500 at odds 20.
SELECT model_id AS card2 FROM aimass.train('card2', 'credit_data', 'status', algorithm => 'scorecard',
  exclude => ARRAY['id', 'split'], split => 'column:split',
  hyperparams => '{"pdo": 40, "base_score": 500, "base_odds": 20}', preprocess => '{"binning": "monotonic"}') \gset
SELECT max(abs(aimass.score_points('card2', c)
               - ((500 - 40 / ln(2) * ln(20)) - 40 / ln(2) * ln(aimass.predict_proba('card2', c) / (1 - aimass.predict_proba('card2', c))))))
         < 1e-9 AS points_match_the_odds
  FROM credit_data c;
-- Reason codes of a scorecard: points lost against each feature's best bin, largest first; all of
-- them together are the distance to the best possible score.
CREATE TEMP TABLE best AS SELECT sum(p) AS best FROM (SELECT max(points) AS p FROM aimass.scorecard(:card2) GROUP BY feature) x;
SELECT bool_and(r.ok) AS reasons_sum_to_the_gap, bool_and(r.sorted) AS sorted, bool_and(r.nonnegative) AS nonnegative
  FROM (SELECT abs((SELECT best FROM best) - aimass.score_points('card2', c) - sum(e.contribution)) < 1e-9 AS ok,
               bool_and(e.contribution >= 0) AS nonnegative,
               array_agg(e.contribution ORDER BY e.contribution DESC) = array_agg(e.contribution) AS sorted
          FROM credit_data c, aimass.explain('card2', c, 100) e WHERE c.id <= 200 GROUP BY c.id) r;
SELECT e.* FROM credit_data c, aimass.explain('card2', c) e WHERE c.id = 3;

-- drop_wrong_sign: the first card has features whose points run against their WOE (a negative
-- coefficient); refitted without them, every bin's points fall as its WOE (risk) rises.
SELECT array_agg(DISTINCT feature ORDER BY feature) AS wrong_sign_in_first_card
  FROM aimass.scorecard(:card) WHERE points * woe > 0 AND abs(points) >= 1;
SELECT model_id AS signed FROM aimass.train('signed', 'credit_data', 'status', algorithm => 'scorecard',
  exclude => ARRAY['id', 'split'], split => 'column:split', hyperparams => '{"drop_wrong_sign": true}',
  deploy => 'never') \gset
SELECT bool_and(points * woe <= 0) AS signs_agree_with_risk,
       array_agg(DISTINCT feature ORDER BY feature) FILTER (WHERE points = 0 AND woe <> 0) AS dropped,
       (SELECT (metrics #>> '{test,auc}')::float8 > 0.83 FROM aimass.models WHERE id = :signed) AS still_discriminates
  FROM aimass.scorecard(:signed) WHERE bin IS NOT NULL;

-- Reason codes of a logistic model: coefficient × transformed value per feature; their sum and
-- the intercept give the log-odds exactly (the remainder is the same for every row).
SELECT model_id AS logit FROM aimass.train('logit', 'credit_data', 'status', exclude => ARRAY['id', 'split'],
                                           split => 'column:split', deploy => 'always') \gset
SELECT stddev_pop(remainder) < 1e-9 AS remainder_is_the_intercept, count(*) AS rows
  FROM (SELECT ln(aimass.predict_proba('logit', c) / (1 - aimass.predict_proba('logit', c))) - sum(e.contribution) AS remainder
          FROM credit_data c, aimass.explain('logit', c, 100) e WHERE c.id <= 500 GROUP BY c.id, c.*) x;
SELECT feature, value, round(contribution::numeric, 4) AS contribution FROM credit_data c, aimass.explain('logit', c) e WHERE c.id = 3;

-- Bins as a preprocessing step of another model: row by row equals batch.
SELECT model_id AS binned FROM aimass.train('binned', 'credit_data', 'status', exclude => ARRAY['id', 'split'],
  split => 'column:split', preprocess => '{"binning": "chimerge", "columns": {"home": {"encode": "one_hot", "binning": null}}}',
  deploy => 'never') \gset
SELECT max(abs(b.score - aimass.predict_proba(:binned, c))) AS row_vs_batch
  FROM aimass.predict_batch(:binned, 'credit_data', 'id') b JOIN credit_data c USING (id);
SELECT column_name, transform FROM aimass.model_features(:binned) WHERE column_name IN ('income', 'home');

-- A binning stored by aimass.bin as the preprocessing of a scorecard: the same bins, with counts
-- and WOE recomputed on the training rows.
CREATE TEMP TABLE stored_bins AS SELECT * FROM aimass.bin('credit_data', 'status', ARRAY['income', 'seniority', 'home'], 'monotonic');
SELECT model_id AS stored FROM aimass.train('stored_bins', 'credit_data', 'status', algorithm => 'scorecard',
  features => ARRAY['income', 'seniority', 'home'], split => 'column:split',
  preprocess => format('{"binning": %s}', (SELECT DISTINCT binning_id FROM stored_bins))::jsonb) \gset
SELECT (SELECT array_agg(feature || ' ' || label ORDER BY feature, bin) FROM aimass.scorecard(:stored) WHERE bin IS NOT NULL)
     = (SELECT array_agg(column_name || ' ' || label ORDER BY column_name, bin) FROM stored_bins) AS same_bins,
       (SELECT count(*) FROM stored_bins) AS bins;

-- Bad input.
SELECT * FROM aimass.train('bad_card', 'credit_data', 'status', algorithm => 'scorecard', preprocess => '{"binning": 999}');
SELECT * FROM aimass.train('bad_card', 'credit_data', 'status', algorithm => 'scorecard',
  preprocess => format('{"binning": %s}', (SELECT DISTINCT binning_id FROM stored_bins))::jsonb);
SELECT * FROM aimass.scorecard(:logit);
SELECT aimass.score_points('logit', c) FROM credit_data c WHERE id = 1;
SELECT * FROM credit_data c, aimass.explain('card', c, 0) WHERE id = 1;
SELECT * FROM aimass.train('bad_card', 'credit_data', 'amount', algorithm => 'scorecard');
SELECT * FROM aimass.train('bad_card', 'credit_data', 'status', algorithm => 'scorecard', preprocess => '{"columns": {"home": {"encode": "one_hot"}}}');
SELECT * FROM aimass.train('bad_card', 'credit_data', 'status', algorithm => 'scorecard', hyperparams => '{"pdo": -20}');
SELECT * FROM aimass.train('bad_card', 'credit_data', 'status', algorithm => 'scorecard', hyperparams => '{"points": 1}');
SELECT * FROM aimass.train('bad_card', 'credit_data', 'status', preprocess => '{"binning": "magic"}');
