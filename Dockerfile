# syntax=docker/dockerfile:1
# One image runs the API or the worker (docker-compose.yml chooses the command); the `enforcer` target adds nftables.
#   docker build -t riposte .                               (the `app` target)
#   docker build --target enforcer -t riposte-enforcer .
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# The Temporal CLI that npm install fetches for development (scripts/install-temporal-cli.mjs) has no use here: the
# image connects to a Temporal server of its own.
ENV RIPOSTE_SKIP_TEMPORAL_INSTALL=1
COPY package.json package-lock.json ./
COPY scripts/install-temporal-cli.mjs scripts/bundle-cli.mjs scripts/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM ${NODE_IMAGE} AS app
WORKDIR /app
ENV NODE_ENV=production RIPOSTE_SKIP_TEMPORAL_INSTALL=1 RIPOSTE_DATA_DIR=/data
COPY package.json package-lock.json ./
COPY scripts/install-temporal-cli.mjs scripts/bundle-cli.mjs scripts/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist dist
COPY config config
# The console's pages are static files, served as they are (api/console/router.ts finds them beside package.json).
COPY console console
# A named volume mounted here starts with this owner, so the unprivileged user can write the feeds and the audit trail.
RUN mkdir /data && chown node:node /data
USER node
EXPOSE 8080
CMD ["node", "dist/workers/api.js"]

FROM app AS enforcer
USER root
# nft gets CAP_NET_ADMIN from its file capability, so the worker itself stays unprivileged; the container must still be
# granted NET_ADMIN (compose: cap_add) for the capability to take effect.
RUN apt-get update \
  && apt-get install -y --no-install-recommends nftables libcap2-bin \
  && setcap cap_net_admin+ep /usr/sbin/nft \
  && apt-get purge -y libcap2-bin && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
USER node
CMD ["node", "dist/workers/worker.js"]

# Without --target, `docker build` makes the API and worker image.
FROM app
