#!/usr/bin/env bash
# Installs what aimass needs to build and test, skipping whatever is already present.
# Works as root or as a normal user with sudo, on Debian 12.
set -euo pipefail

PGRX_VERSION=0.18.1
PG_MAJOR=15
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config}

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

need_pkgs=()
for p in postgresql-${PG_MAJOR} postgresql-server-dev-${PG_MAJOR} postgresql-${PG_MAJOR}-cron libclang-dev clang pkg-config sudo make strace bc; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_pkgs[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need_pkgs[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then export PATH="$HOME/.cargo/bin:$PATH"; else
    echo "setup: cargo not found; install Rust with rustup first" >&2; exit 1; fi
fi

# make lint (run by CI) needs rustfmt and clippy.
if command -v rustup >/dev/null 2>&1 && ! { cargo fmt --version && cargo clippy --version; } >/dev/null 2>&1; then
  rustup component add rustfmt clippy
fi

if ! cargo pgrx --version 2>/dev/null | grep -q "$PGRX_VERSION"; then
  echo "setup: installing cargo-pgrx $PGRX_VERSION (takes several minutes)"
  cargo install cargo-pgrx --version "$PGRX_VERSION" --locked
fi

PGRX_HOME="${PGRX_HOME:-$HOME/.pgrx}"
if ! grep -qs "pg${PG_MAJOR}" "$PGRX_HOME/config.toml"; then
  echo "setup: cargo pgrx init --pg${PG_MAJOR} $PG_CONFIG"
  cargo pgrx init --pg${PG_MAJOR} "$PG_CONFIG"
fi

# cargo-pgrx installs the extension files into PostgreSQL's own directories.
echo "setup: ok"
