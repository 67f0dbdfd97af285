#!/usr/bin/env bash
# Installs the TimescaleDB stand-in into the local PostgreSQL server's extension folder, only where no
# real TimescaleDB is installed. Never overwrites a real timescaledb.control.
set -Eeuo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../timescaledb-standin" && pwd)

extension_dir() {
  local major
  major=$(psql -XAtc 'SHOW server_version_num' "$@" | cut -c1-2)
  printf '/usr/share/postgresql/%s/extension' "$major"
}

main() {
  local dir control
  dir=$(extension_dir "$@")
  control="$dir/timescaledb.control"
  if [ -f "$control" ] && ! grep -q 'STAND-IN' "$control"; then
    echo "real TimescaleDB found at $control: stand-in not installed"
    return 0
  fi
  install -m 0644 "$here/timescaledb.control" "$here/timescaledb--0.0.0-standin.sql" "$dir/"
  echo "TimescaleDB STAND-IN installed in $dir (no real TimescaleDB on this server)"
}

main "$@"
