-- The metric aggregates over their Rust state functions (src/api/aggregates.rs).
CREATE AGGREGATE aimass.auc(score float8, label boolean) (
    SFUNC = aimass._pairs_add, STYPE = internal, FINALFUNC = aimass._auc_final,
    COMBINEFUNC = aimass._pairs_combine, SERIALFUNC = aimass._pairs_serial,
    DESERIALFUNC = aimass._pairs_deserial, PARALLEL = SAFE);
CREATE AGGREGATE aimass.ks(score float8, label boolean) (
    SFUNC = aimass._pairs_add, STYPE = internal, FINALFUNC = aimass._ks_final,
    COMBINEFUNC = aimass._pairs_combine, SERIALFUNC = aimass._pairs_serial,
    DESERIALFUNC = aimass._pairs_deserial, PARALLEL = SAFE);
CREATE AGGREGATE aimass.gini(score float8, label boolean) (
    SFUNC = aimass._pairs_add, STYPE = internal, FINALFUNC = aimass._gini_final,
    COMBINEFUNC = aimass._pairs_combine, SERIALFUNC = aimass._pairs_serial,
    DESERIALFUNC = aimass._pairs_deserial, PARALLEL = SAFE);
CREATE AGGREGATE aimass.iv(value float8, label boolean) (
    SFUNC = aimass._pairs_add, STYPE = internal, FINALFUNC = aimass._iv_final,
    COMBINEFUNC = aimass._pairs_combine, SERIALFUNC = aimass._pairs_serial,
    DESERIALFUNC = aimass._pairs_deserial, PARALLEL = SAFE);
CREATE AGGREGATE aimass.psi(value float8, is_reference boolean) (
    SFUNC = aimass._pairs_add, STYPE = internal, FINALFUNC = aimass._psi_final,
    COMBINEFUNC = aimass._pairs_combine, SERIALFUNC = aimass._pairs_serial,
    DESERIALFUNC = aimass._pairs_deserial, PARALLEL = SAFE);
CREATE AGGREGATE aimass.iv(value text, label boolean) (
    SFUNC = aimass._categories_add, STYPE = internal, FINALFUNC = aimass._categories_iv_final,
    COMBINEFUNC = aimass._categories_combine, SERIALFUNC = aimass._categories_serial,
    DESERIALFUNC = aimass._categories_deserial, PARALLEL = SAFE);
CREATE AGGREGATE aimass.psi(value text, is_reference boolean) (
    SFUNC = aimass._categories_add, STYPE = internal, FINALFUNC = aimass._categories_psi_final,
    COMBINEFUNC = aimass._categories_combine, SERIALFUNC = aimass._categories_serial,
    DESERIALFUNC = aimass._categories_deserial, PARALLEL = SAFE);
CREATE AGGREGATE aimass.log_loss(p float8, label boolean) (
    SFUNC = aimass._probabilities_add, STYPE = internal, FINALFUNC = aimass._log_loss_final,
    COMBINEFUNC = aimass._probabilities_combine, SERIALFUNC = aimass._probabilities_serial,
    DESERIALFUNC = aimass._probabilities_deserial, PARALLEL = SAFE);
CREATE AGGREGATE aimass.brier(p float8, label boolean) (
    SFUNC = aimass._probabilities_add, STYPE = internal, FINALFUNC = aimass._brier_final,
    COMBINEFUNC = aimass._probabilities_combine, SERIALFUNC = aimass._probabilities_serial,
    DESERIALFUNC = aimass._probabilities_deserial, PARALLEL = SAFE);
