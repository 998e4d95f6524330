# mesos-dns: build with the dev dependencies (TypeScript), ship without them.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY bin ./bin
COPY bench ./bench
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY src/demo/example-state.json ./src/demo/example-state.json
COPY config.example.json ./
EXPOSE 53/udp 53/tcp 8123/tcp
ENTRYPOINT ["bin/mesos-dns"]
CMD ["-config=/etc/mesos-dns/config.json"]
