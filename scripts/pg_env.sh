# Sourced by the scripts: where PostgreSQL's programs are. PG_CONFIG is the one knob (the
# Makefile's `PG_CONFIG ?=` passes it down; this default serves a script run by hand).
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PG_BIN=$("$PG_CONFIG" --bindir)
