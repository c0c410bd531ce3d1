# syntax=docker/dockerfile:1
# One multi-stage file for both services: `--build-arg SERVICE=ecommerce|payment_gateway`.
ARG NODE_VERSION=26

# --- build: every dependency, compile TypeScript
FROM node:${NODE_VERSION}-slim AS build
ARG SERVICE
WORKDIR /app
# Every workspace's package.json, so npm ci sees the workspaces the lock file names.
COPY package.json package-lock.json ./
COPY common/package.json common/
COPY ecommerce/package.json ecommerce/
COPY payment_gateway/package.json payment_gateway/
RUN npm ci --workspace common --workspace ${SERVICE} --include-workspace-root --no-audit --no-fund
COPY tsconfig.base.json ./
COPY common common
COPY ${SERVICE} ${SERVICE}
RUN npx tsc -b common ${SERVICE} && mkdir -p ${SERVICE}/dashboard

# --- runtime: production dependencies and compiled code only, as the unprivileged `node` user
FROM node:${NODE_VERSION}-slim AS runtime
ARG SERVICE
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    SERVICE=${SERVICE}
WORKDIR /app
COPY package.json package-lock.json ./
COPY common/package.json common/
COPY ecommerce/package.json ecommerce/
COPY payment_gateway/package.json payment_gateway/
RUN npm ci --workspace common --workspace ${SERVICE} --omit=dev --no-audit --no-fund \
    && npm cache clean --force
COPY --from=build /app/common/dist common/dist
COPY --from=build /app/${SERVICE}/dist ${SERVICE}/dist
# payment_gateway's seller dashboard page (static files; empty for ecommerce).
COPY --from=build /app/${SERVICE}/dashboard ${SERVICE}/dashboard
# Demo data for `make fixtures` (the loader refuses to run with NODE_ENV=production).
COPY fixtures fixtures
# The services' heap limits (SERVICE_NODE_FLAGS overrides them): see README "Performance".
COPY deploy/node-flags deploy/node-flags
# Mount point for the shared development key pair (a named volume takes this ownership).
RUN mkdir -p /app/keys && chown node:node /app/keys
USER node
# Liveness probe without curl in the image; compose overrides it with /ready.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["sh", "-c", "exec node ${SERVICE_NODE_FLAGS:-$(cat deploy/node-flags)} ${SERVICE}/dist/main.js"]
