# One image for every Atrium service; docker-compose.yml picks the entry point per container.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY platform ./platform
COPY legacy ./legacy
COPY subgraphs ./subgraphs
COPY schema ./schema
COPY gateway ./gateway
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY schema ./schema
COPY examples/operations ./examples/operations
# The production profile's gateways share their API key file on a volume mounted here; a new volume takes this owner.
RUN mkdir /app/keys && chown node:node /app/keys
USER node
# The entry point of one service, e.g. dist/gateway/index.js; set per container.
CMD ["node", "dist/gateway/index.js"]
