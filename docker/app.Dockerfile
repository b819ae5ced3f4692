# One recipe for the three NestJS apps. They differ only in their name and port, so one file keeps
# the three images from drifting apart; the app is chosen with build arguments:
#   docker build -f docker/app.Dockerfile --build-arg APP=inference-api --build-arg PORT=8000 .
# (docker/compose.yaml passes them for each app.) The build context is the repository root.
#
# The base image is pinned to an exact version (the Node.js the tests run on); to pin its digest
# too, resolve it where a registry is reachable and append it:
# docker buildx imagetools inspect node:20.20.2-bookworm-slim (README, "Pinned base images").
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# better-sqlite3 compiles itself from source when no prebuilt binary matches the platform.
FROM ${NODE_IMAGE} AS node-with-build-tools
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# onnxruntime-node's install script only downloads the optional CUDA/TensorRT providers; the CPU
# runtime ships inside the package.
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./

FROM node-with-build-tools AS build
ENV NX_DAEMON=false NX_NO_CLOUD=true
RUN npm ci --no-audit --no-fund
COPY nx.json tsconfig.base.json ./
COPY libs libs
COPY apps apps
ARG APP
RUN test -n "${APP}" || (echo "build argument APP is required (inference-api, registry-admin or training-worker)" >&2; exit 1)
RUN npx nx run "${APP}:build"

# The webpack bundle leaves node_modules packages external (it requires them at run time), so the
# runtime needs the production dependencies, and nothing else.
FROM node-with-build-tools AS production-dependencies
RUN npm ci --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32 \
 && npm cache clean --force

# glibc-based slim image: onnxruntime-node's prebuilt binaries do not run on musl (Alpine).
FROM ${NODE_IMAGE} AS runtime
ARG APP
ARG PORT=8000
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=${PORT} \
    LOG_FORMAT=json
WORKDIR /app
# Owned by root and read-only to the app's user: the process cannot rewrite its own code.
COPY --from=production-dependencies /src/node_modules ./node_modules
COPY --from=build /src/dist/apps/${APP} ./
# Writable place for settings that name files (model cache, local stores); mount a volume here.
# /data is where training-worker's DATA_DIR points: read-only to the app, mounted by the operator.
RUN mkdir -p /var/lib/churn /data && chown 1000:1000 /var/lib/churn
# The `node` user of the base image, by number so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE ${PORT}
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "main.js"]
