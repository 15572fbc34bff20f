# The session service as an image: built and pruned in one stage, run as a non-root user in the next.
#   docker build -t session-service .
#   docker run --rm -p 127.0.0.1:3000:3000 --env-file secrets.env \
#     -e DATABASE_URL=postgresql://user:password@db-host:5432/sessions session-service
# NODE_ENV is production here, so JWT_PRIVATE_KEY and REFRESH_TOKEN_SECRET must be given: README,
# "Docker", makes secrets.env. Without DATABASE_URL the service runs its embedded PostgreSQL under
# DATA_DIR (/data).
#
# Tested by .ci/docker-check, which CI runs, with Debian's docker.io 20.10 on stand-in base images
# (the registry is out of reach there; node:22-bookworm-slim is Debian's root file system with Node
# 22's official binary): the classic builder builds it (BuildKit too, tried by hand: offline, as
# there is no `# syntax=` line whose frontend BuildKit would fetch from the registry); `npm ci`
# takes argon2's prebuilt binary (the slim image has no compiler to fall back on); the image, run
# with `--env-file secrets.env` against PostgreSQL, answers /health and /health/ready, turns
# healthy, and exits 0 on `docker stop`.

# Node 22: a line supported upstream, and the first whose Node-API (10) argon2's prebuilt binary
# loads on; on Node 20 it crashes and argon2 falls back to compiling.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Dependencies first, so that a change to the source reuses this layer. Install scripts run: the
# embedded PostgreSQL links its binaries in one, argon2 picks its prebuilt binary.
COPY package.json package-lock.json ./
COPY libs/session-auth/package.json ./libs/session-auth/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
  && npm prune --omit=dev --no-audit --no-fund \
  && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
# MALLOC_ARENA_MAX: glibc keeps a malloc arena per thread, and each libuv thread that hashed a
# password keeps its 19 MB of argon2 memory there; one shared arena bounds that (see "Memory" in
# README.md).
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data \
    MALLOC_ARENA_MAX=1
WORKDIR /app
# The code belongs to root and is only read; the service writes nowhere but DATA_DIR.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The library the service is built on, reached through node_modules/@session-service/nestjs.
COPY --from=build /app/libs/session-auth/package.json ./libs/session-auth/
COPY --from=build /app/libs/session-auth/dist ./libs/session-auth/dist
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
# Liveness only: readiness (/health/ready) follows the database and belongs to the orchestrator.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Migrations run at start (MIGRATIONS_RUN=false turns that off; then run them with
# `node dist/database/migrate.js`). Grant a role with `node dist/users/user-role.cli.js <email> <role>`.
# A smaller young generation and an old generation that grows by 40% over what survives a full
# collection (instead of doubling) keep the heap near its live size after a burst of traffic;
# see "Memory" in README.md. bench/ starts the service with exactly these flags.
CMD ["node", "--max-semi-space-size=8", "--heap-growing-percent=40", "dist/main.js"]
