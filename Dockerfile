# mesos-dns: build with the dev dependencies (TypeScript), ship without them, run as a non-root
# user. Port 53 without root: the node binary gets CAP_NET_BIND_SERVICE as a file capability
# (works with --net=host too, where Docker's unprivileged-port sysctl does not apply).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY bin ./bin
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:24-bookworm-slim
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends libcap2-bin >/dev/null \
 && setcap cap_net_bind_service=+ep "$(readlink -f "$(command -v node)")" \
 && apt-get purge -y -qq libcap2-bin >/dev/null && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/mesos-dns && chown node:node /var/lib/mesos-dns
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/bin ./bin
COPY src/demo/example-state.json ./src/demo/example-state.json
COPY config.example.json ./
USER node
EXPOSE 53/udp 53/tcp 8123/tcp
# /health answers 200 while the event loop turns (the HTTP port of the config; 8123 by default).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8123/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM starts the lameduck (ShutdownGraceSeconds): give `docker stop` more than that.
STOPSIGNAL SIGTERM
ENTRYPOINT ["bin/mesos-dns"]
CMD ["-config=/etc/mesos-dns/config.json"]
