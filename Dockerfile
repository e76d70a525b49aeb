# syntax=docker/dockerfile:1
# The Souk image: one image for every role (API nodes, the worker, the migration job). Built in two
# stages so the runtime image carries no compiler caches, dev dependencies or npm's download cache.
# deploy/compose.yaml and deploy/k8s/ run it; test/deploy.test.ts checks the rules this file keeps
# (multi-stage, non-root, healthcheck, exec-form command) without a Docker engine.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Dependencies first: this layer is rebuilt only when the lock file changes. Install scripts are not
# needed (esbuild and argon2 ship their binaries as optional platform packages).
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY bin ./bin
COPY scripts ./scripts
COPY src ./src
COPY examples ./examples
# dist/: one ESM bundle per CLI entry; bin/souk.js runs it while it is newer than every source.
RUN npm run build
# Web apps (admin console, storefront) are built here when they land in web/: copy web/ and run their
# build before the prune, then copy their output into the runtime stage below.
# Runtime keeps production dependencies only. tsx and esbuild are production dependencies on purpose:
# bin/souk.js falls back to the TypeScript sources through tsx when dist/ is missing or stale.
RUN npm prune --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    SOUK_DATA_DIR=/var/lib/souk \
    SOUK_SEED_DEMO=0
WORKDIR /app
# The embedded database's directory, for a single-container trial; clusters set DATABASE_URL.
RUN mkdir -p /var/lib/souk && chown node:node /var/lib/souk
# Sources stay beside dist/: migrations are read from src/modules/*/migrations at run time, and
# bin/souk.js compares dist/ with them. COPY --from keeps the build stage's file times, so dist/ stays fresh.
COPY --from=build --chown=root:root /app/package.json /app/package-lock.json ./
COPY --from=build --chown=root:root /app/node_modules ./node_modules
COPY --from=build --chown=root:root /app/bin ./bin
COPY --from=build --chown=root:root /app/src ./src
COPY --from=build --chown=root:root /app/dist ./dist
COPY --from=build --chown=root:root /app/examples ./examples
# The application files belong to root and are read-only for the process; it runs as the image's
# unprivileged "node" user (uid 1000).
USER node
EXPOSE 3000
# Liveness without curl (not in the slim image): Node's fetch against /healthz.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: node is PID 1 and receives SIGTERM itself (no shell in between), so `souk start` drains
# in-flight requests and stops its consumers within SOUK_SHUTDOWN_TIMEOUT_MS. Run with an init
# (`docker run --init`, compose `init: true`) to reap stray child processes.
ENTRYPOINT ["node", "bin/souk.js"]
CMD ["start"]
