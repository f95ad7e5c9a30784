-- aimass 0.3.0 → 0.4.0: ALTER EXTENSION aimass UPDATE TO '0.4.0'.
-- Model format 4 (the SVM as aimass's own struct) needs no catalog change: format-3 artifacts are
-- read and upgraded as they are loaded, and keep artifact_format = 3.

-- aimass.hyperparameters(algorithm): the hyperparameters with a spec.
CREATE FUNCTION aimass."hyperparameters"(
	"algorithm" TEXT
) RETURNS TABLE (
	"name" TEXT,
	"type_name" TEXT,
	"default_value" jsonb,
	"range" TEXT,
	"doc" TEXT
)
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'hyperparameters_wrapper';
-- As a fresh install grants it: revoked from PUBLIC with everything, then granted to PUBLIC.
REVOKE EXECUTE ON FUNCTION aimass.hyperparameters(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aimass.hyperparameters(text) TO PUBLIC;
