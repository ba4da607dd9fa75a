# imagestreamd: one image for the api and the worker (the command picks which).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY migrations ./migrations
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production TS_NODE_BASEURL=/app/dist
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json tsconfig.json ./
USER node
EXPOSE 8080 9091
# tsconfig-paths resolves the @app/* aliases against dist/ (TS_NODE_BASEURL).
CMD ["node", "-r", "tsconfig-paths/register", "dist/apps/api/src/main.js", "--with-worker"]
