# syntax=docker/dockerfile:1
# One image for the API and the GPU agent (docker-compose.yml picks the command).
#   docker build -t brier:local .

# Only the package manifests, so the `npm ci` layer is rebuilt only when dependencies change.
FROM node:20-bookworm-slim AS manifests
WORKDIR /app
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json -delete

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY --from=manifests /app ./
# Install scripts are not needed to build (and `prepare` would build before the sources are here).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build \
  && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    AGENT_WORK_DIR=/var/lib/brier/agent
WORKDIR /app
# Code stays root-owned and read-only to the app; it may write only to its work directory.
COPY --from=build /app /app
RUN mkdir -p /var/lib/brier/agent && chown node:node /var/lib/brier/agent
USER node
EXPOSE 3000
CMD ["node", "apps/api/dist/main.js"]
