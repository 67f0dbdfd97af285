#!/usr/bin/env bash
# Boots the platform's Directus: scripts/boot/main.ts resolves the configuration once (environment
# over .env); for `start` it becomes pm2-runtime with that same configuration, so PID 1 forwards
# signals and Directus shuts down cleanly, and each pm2 instance runs steps 1–4, then serves.
#   entrypoint.sh [start]        steps 1–5 (the image's default)
#   entrypoint.sh dry-run        steps 1–4, exit 0 on success (the CI gate)
#   entrypoint.sh schema-check   exit 0 when the database matches snapshots/schema.yaml, else list
#                                what applying it would create, change or delete, and exit 1
#   entrypoint.sh schema-archives [--prune …]   what step 3 archived before allowed deletions
#   entrypoint.sh schema-restore ID [item …]     put archived items back
#   entrypoint.sh CMD ...        runs CMD (a shell, `node cli.js ...`) without booting
# Works the same in the image (/directus) and in a checkout (Directus from node_modules).
set -Eeuo pipefail

APP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# file_env VAR: VAR may come from VAR_FILE (Docker/Portainer secrets); both set is an error.
file_env() {
  local var="$1" file_var="${1}_FILE"
  if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
    echo "[boot] ERROR both $var and $file_var are set; keep one" >&2
    exit 1
  fi
  if [ -n "${!file_var:-}" ]; then
    export "$var"="$(< "${!file_var}")"
    unset "$file_var"
  fi
}

load_secrets() {
  local var
  for var in KEY SECRET ADMIN_EMAIL ADMIN_PASSWORD DB_PASSWORD DB_CONNECTION_STRING; do
    file_env "$var"
  done
}

# The image ships /directus/cli.js; a checkout has the pinned package in node_modules.
resolve_directus() {
  if [ -z "${DIRECTUS_CLI:-}" ]; then
    if [ -f "$APP_DIR/cli.js" ]; then DIRECTUS_CLI="$APP_DIR/cli.js"
    else DIRECTUS_CLI="$APP_DIR/node_modules/directus/cli.js"
    fi
  fi
  if [ ! -f "$DIRECTUS_CLI" ]; then
    echo "[boot] ERROR Directus CLI not found at $DIRECTUS_CLI; run 'pnpm install' in a checkout" >&2
    exit 1
  fi
  export DIRECTUS_CLI
  export PATH="$APP_DIR/node_modules/.bin:$PATH"
  # Node's on-disk compile cache makes every Directus load after the first cheaper.
  export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-$APP_DIR/node_modules/.cache/node-compile}"
}

# The boot (scripts/boot/main.ts) hides the tables db-init owns from Directus (DB_EXCLUDE_TABLES),
# requires the extensions to load, gives pm2 a home of its own, and execs pm2-runtime for `start`.
boot() {
  exec node "$APP_DIR/scripts/boot/main.ts" "$1"
}

main() {
  cd "$APP_DIR"
  case "${1:-start}" in
    dry-run|start)
      load_secrets; resolve_directus
      boot "${1:-start}"
      ;;
    schema-check|schema-archives|schema-restore)
      load_secrets; resolve_directus
      exec node "$APP_DIR/scripts/$1.ts" "${@:2}"
      ;;
    *)
      exec "$@"
      ;;
  esac
}

main "$@"
