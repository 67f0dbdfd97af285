# syntax=docker/dockerfile:1
# The platform's Directus: the official image plus the boot pipeline, schema and SQL baked in.
# The FROM tag and the `directus` version in package.json are one pin: bump both together.

# Production dependencies of the boot scripts (pg, libpg-query), installed from the lockfile.
FROM directus/directus:12.4.0 AS boot-deps
USER root
RUN npm install --global pnpm@12.4.2
WORKDIR /build
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm install --prod --frozen-lockfile --ignore-scripts

# The extensions (extensions/platform), built by Directus's extensions SDK as `pnpm run build` builds
# them in a checkout; only the built bundle goes into the image.
FROM directus/directus:12.4.0 AS extensions
USER root
RUN npm install --global pnpm@12.4.2
WORKDIR /build
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm install --frozen-lockfile --ignore-scripts
COPY extensions ./extensions
RUN pnpm run build

FROM directus/directus:12.4.0
USER root
# entrypoint.sh is bash (set -Eeuo pipefail, arrays); the official image is Alpine with busybox sh.
# The boot scripts are TypeScript run by Node's type stripping, the boot becomes pm2-runtime with
# process.execve (Node 22.15+), and main.ts runs as a script only when it is one (import.meta.main,
# Node 22.18+): fail the build if Node lacks any.
RUN apk add --no-cache bash \
 && node -e "if (!process.features.typescript || typeof process.execve !== 'function') { console.error('Node ' + process.version + ' cannot strip types or execve'); process.exit(1) }" \
 && node --input-type=module -e "if (import.meta.main !== true) { console.error('Node ' + process.version + ' has no import.meta.main'); process.exit(1) }"
USER node
WORKDIR /directus
COPY --chown=node:node package.json ./scripts/package.json
COPY --from=boot-deps --chown=node:node /build/node_modules ./scripts/node_modules
COPY --chown=node:node scripts ./scripts
COPY --chown=node:node db-init ./db-init
COPY --chown=node:node db-init-post ./db-init-post
COPY --chown=node:node snapshots ./snapshots
COPY --chown=node:node extensions/platform/package.json ./extensions/platform/package.json
COPY --from=extensions --chown=node:node /build/extensions/platform/dist ./extensions/platform/dist
COPY --chown=node:node entrypoint.sh ./entrypoint.sh
# Placeholders only: the production check refuses a KEY or SECRET equal to them.
COPY --chown=node:node .env.example ./.env.example

# Node's on-disk compile cache: every Directus load after the container's first is cheaper.
ENV NODE_COMPILE_CACHE=/tmp/node-compile-cache

EXPOSE 8055
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 \
  CMD wget -q -O /dev/null "http://127.0.0.1:${PORT:-8055}/server/ping" || exit 1
ENTRYPOINT ["/directus/entrypoint.sh"]
CMD ["start"]
