-- A deploy committed in one connection is seen by another connection's next predict. The other
-- connection is a real second client (dblink), which deploys and commits on its own.
\i tests/regress/fixtures/credit_models.sql
-- credit's deployment history: model 1, then model 3.
SELECT model_id FROM aimass.deploy(3);
SELECT dblink_connect('other', format('host=%s port=%s dbname=%s user=%s',
       split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'),
       current_database(), current_user));
-- This session caches the currently deployed model.
SELECT model_id AS current_model FROM aimass.deployments d JOIN aimass.projects p ON p.id = d.project_id
 WHERE p.name = 'credit' ORDER BY d.id DESC LIMIT 1 \gset
SELECT aimass.predict_proba('credit', c) = aimass.predict_proba(:current_model, c) AS uses_current
  FROM credit_data c WHERE id = 1;
-- The other connection deploys model 1 and commits.
SELECT * FROM dblink('other', 'SELECT model_id FROM aimass.deploy(1)') AS t(model_id bigint);
-- Our next statement scores with model 1.
SELECT aimass.predict_proba('credit', c) = aimass.predict_proba(1, c) AS sees_other_deploy,
       aimass.predict_proba('credit', c) <> aimass.predict_proba(:current_model, c) AS score_changed
  FROM credit_data c WHERE id = 1;
-- And the other connection scores with whatever this one deploys.
SELECT model_id FROM aimass.deploy(:current_model);
SELECT * FROM dblink('other', 'SELECT aimass.predict_proba(''credit'', c) = aimass.predict_proba('
                     || :current_model || ', c) FROM credit_data c WHERE id = 1') AS t(sees_our_deploy boolean);
-- A deployment removed by hand in the other connection (the catalog trigger tells every
-- session): this one falls back to the previous deployment, model 1.
SELECT * FROM dblink('other', 'DELETE FROM aimass.deployments WHERE id = (SELECT max(id) FROM aimass.deployments)')
  AS t(status text);
SELECT aimass.predict_proba('credit', c) = aimass.predict_proba(1, c) AS sees_removal FROM credit_data c WHERE id = 1;
SELECT model_id FROM aimass.deploy(:current_model);
SELECT dblink_disconnect('other');
