# Pacproxy: one image for both roles.
#   proxy  (default): node dist/bin/pacproxy.js proxy
#   worker          : node --min-semi-space-size=16 --no-memory-reducer dist/bin/worker.js (src/lifecycle/heap.ts)
#   simulator       : node dist/bin/simulator.js
# Stages: toolchain (compilers for the native better-sqlite3 addon) -> deps (production
# node_modules) and build (all deps + tsc) -> runtime (slim, no compilers, non-root).

FROM node:20-bookworm-slim AS toolchain
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./

FROM toolchain AS deps
RUN npm ci --omit=dev --no-audit --no-fund

FROM toolchain AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json tsconfig.dashboard.json ./
COPY src ./src
COPY workers ./workers
COPY bin ./bin
COPY ops ./ops
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# ./data holds the SQLite file and the proxy's outbox; the only place the app writes.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "dist/ops/docker/healthcheck.js"]
CMD ["node", "dist/bin/pacproxy.js", "proxy"]
