-- The metric aggregates over their Rust state functions (src/api/aggregates.rs).
-- Numbers and probabilities have bytea states, which Citus computes on the workers and combines
-- on the coordinator; the transition functions change them in place (plain C functions of the
-- module, declared here).
CREATE FUNCTION aimass._value_counts_add(state bytea, value float8, flag boolean) RETURNS bytea
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'aimass_value_counts_add';
CREATE FUNCTION aimass._probabilities_add(state bytea, p float8, label boolean) RETURNS bytea
    IMMUTABLE PARALLEL SAFE LANGUAGE c AS 'MODULE_PATHNAME', 'aimass_probabilities_add';
CREATE AGGREGATE aimass.auc(score float8, label boolean) (
    SFUNC = aimass._value_counts_add, STYPE = bytea, FINALFUNC = aimass._value_counts_auc_final,
    COMBINEFUNC = aimass._value_counts_combine, PARALLEL = SAFE);
CREATE AGGREGATE aimass.ks(score float8, label boolean) (
    SFUNC = aimass._value_counts_add, STYPE = bytea, FINALFUNC = aimass._value_counts_ks_final,
    COMBINEFUNC = aimass._value_counts_combine, PARALLEL = SAFE);
CREATE AGGREGATE aimass.gini(score float8, label boolean) (
    SFUNC = aimass._value_counts_add, STYPE = bytea, FINALFUNC = aimass._value_counts_gini_final,
    COMBINEFUNC = aimass._value_counts_combine, PARALLEL = SAFE);
CREATE AGGREGATE aimass.iv(value float8, label boolean) (
    SFUNC = aimass._value_counts_add, STYPE = bytea, FINALFUNC = aimass._value_counts_iv_final,
    COMBINEFUNC = aimass._value_counts_combine, PARALLEL = SAFE);
CREATE AGGREGATE aimass.psi(value float8, is_reference boolean) (
    SFUNC = aimass._value_counts_add, STYPE = bytea, FINALFUNC = aimass._value_counts_psi_final,
    COMBINEFUNC = aimass._value_counts_combine, PARALLEL = SAFE);
CREATE AGGREGATE aimass._value_counts(value float8, flag boolean) (
    SFUNC = aimass._value_counts_add, STYPE = bytea, COMBINEFUNC = aimass._value_counts_combine,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE aimass._value_counts(float8, boolean) IS 'Internal (evaluate on a distributed table): the state of auc, ks, gini, iv and psi itself, each distinct value with its rows by flag; Citus computes it on the workers and combines it.';
CREATE AGGREGATE aimass.iv(value text, label boolean) (
    SFUNC = aimass._categories_add, STYPE = internal, FINALFUNC = aimass._categories_iv_final,
    COMBINEFUNC = aimass._categories_combine, SERIALFUNC = aimass._categories_serial,
    DESERIALFUNC = aimass._categories_deserial, PARALLEL = SAFE);
CREATE AGGREGATE aimass.psi(value text, is_reference boolean) (
    SFUNC = aimass._categories_add, STYPE = internal, FINALFUNC = aimass._categories_psi_final,
    COMBINEFUNC = aimass._categories_combine, SERIALFUNC = aimass._categories_serial,
    DESERIALFUNC = aimass._categories_deserial, PARALLEL = SAFE);
CREATE AGGREGATE aimass.log_loss(p float8, label boolean) (
    SFUNC = aimass._probabilities_add, STYPE = bytea, FINALFUNC = aimass._log_loss_final,
    COMBINEFUNC = aimass._probabilities_combine, PARALLEL = SAFE);
CREATE AGGREGATE aimass.brier(p float8, label boolean) (
    SFUNC = aimass._probabilities_add, STYPE = bytea, FINALFUNC = aimass._brier_final,
    COMBINEFUNC = aimass._probabilities_combine, PARALLEL = SAFE);
