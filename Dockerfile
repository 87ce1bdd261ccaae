# agentgw: the daemon (and the CLI) in a container.
#   docker build -t agentgw .
#   docker run -e DATABASE_URL=postgres://… -e AGENTGW_SECRET_KEY=… -p 8080:8080 agentgw
# Docker cannot run on the machine this was written on: examples/docker-compose.yml is checked
# against the Compose schema in the tests, this file is kept simple.

FROM node:22-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 builds from source when no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    AGENTGW_HOST=0.0.0.0 \
    AGENTGW_PORT=8080 \
    AGENTGW_DATA_DIR=/var/lib/agentgw
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
RUN mkdir -p /var/lib/agentgw && chown node:node /var/lib/agentgw
USER node
EXPOSE 8080
# Binding 0.0.0.0 requires server.auth.required (AGENTGW tokens); see docs/security.md.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:8080/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
ENTRYPOINT ["node", "bin/agentgw.js"]
CMD ["serve"]
