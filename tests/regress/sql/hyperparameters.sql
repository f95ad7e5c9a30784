-- aimass.hyperparameters(algorithm): each hyperparameter with a spec, from the specs the option
-- reader, the stored hyperparams and the errors use.
\set VERBOSITY verbose
SELECT * FROM aimass.hyperparameters('gradient_boosting') ORDER BY name;
-- The defaults listed are the ones a model stores.
SELECT model_id AS hp_model FROM aimass.train('hp_defaults', 'credit_data', 'status', algorithm => 'logistic',
                                              exclude => ARRAY['id'], deploy => 'never') \gset
SELECT count(*) AS params, bool_and(m.hyperparams -> h.name = h.default_value) AS defaults_are_the_stored_ones
  FROM aimass.hyperparameters('logistic') h, aimass.models m WHERE m.id = :hp_model;
SELECT model_id AS gb_model FROM aimass.train('hp_gb', 'credit_data', 'status', algorithm => 'gradient_boosting',
                                              exclude => ARRAY['id'], split => 'column:split', deploy => 'never') \gset
SELECT count(*) AS params, bool_and(m.hyperparams -> h.name = h.default_value) AS defaults_are_the_stored_ones
  FROM aimass.hyperparameters('gradient_boosting') h, aimass.models m WHERE m.id = :gb_model;
-- Words, flags and shaped values have specs too.
SELECT name, type_name, default_value, range FROM aimass.hyperparameters('svm') ORDER BY name;
SELECT name, type_name, default_value FROM aimass.hyperparameters('stacking') ORDER BY name;
-- A word outside its choices is refused with the choices listed.
SELECT * FROM aimass.train('hp_bad', 'credit_data', 'status', algorithm => 'random_forest',
                           hyperparams => '{"class_weight": "heavy"}');
-- linear has no hyperparameters.
SELECT count(*) AS params FROM aimass.hyperparameters('linear');
SELECT * FROM aimass.hyperparameters('gradient_boostin');
