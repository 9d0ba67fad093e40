# Marquee: the static site, its server and its monthly rebuild in one image.
#
#   docker build -t marquee .
#   docker run -d -p 3000:3000 -v marquee-data:/var/lib/marquee \
#     -e TMDB_READ_TOKEN -e GROQ_API_KEY marquee
#
# Stages: deps (production node_modules) -> build (the site from the demo catalogue, or
# whatever catalogue the build context holds) -> runtime (node_modules + sources + that
# site, run as the unprivileged `node` user). No key is ever baked in: credentials arrive
# at `docker run` and the entry point refreshes the data then, in the background.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS deps
# Only for a build behind a TLS-inspecting proxy: the path of a CA bundle mounted into the build
# (`podman build -v DIR:/mnt:ro --build-arg NODE_EXTRA_CA_CERTS=/mnt/ca.pem`, as
# scripts/check-image.ts does). Unset by default; the runtime stage never sees it.
ARG NODE_EXTRA_CA_CERTS
WORKDIR /app
ENV OBSERVABLE_TELEMETRY_DISABLE=true
# .npmrc carries onnxruntime-node-install=skip; npm ci must see it before installing.
COPY package.json package-lock.json .npmrc ./
# Everything the build and the loaders run (Framework, tsx, esbuild, DuckDB, the embedders)
# is a production dependency; typescript, vitest and playwright are only for tests.
# onnxruntime-node ships macOS and Windows binaries too (about 220 MB); Linux needs neither.
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force \
 && rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32

FROM deps AS build
ARG NODE_EXTRA_CA_CERTS
COPY . .
RUN npm run build \
 && test -f dist/index.html \
 && printf '{"id":"image","builtAt":"%s","refresh":"none"}\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > dist/release.json

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    OBSERVABLE_TELEMETRY_DISABLE=true \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    PORT=3000 \
    MARQUEE_STATE_DIR=/var/lib/marquee \
    MARQUEE_SITE_DIR=/var/lib/marquee/site \
    MARQUEE_CATALOG_DIR=/var/lib/marquee/catalog \
    MARQUEE_CACHE_DIR=/var/lib/marquee/cache \
    MARQUEE_MODELS_DIR=/var/lib/marquee/models
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
# The site built above is served until the first rebuild publishes a release.
COPY --from=build /app/dist ./dist-image
# Versioned module bundles (_node, _npm) so that rebuilds need no CDN; rebuild.sh drops the
# loader outputs in there before every build.
COPY --from=build --chown=node:node /app/src/.observablehq ./src/.observablehq
COPY --from=build --chown=node:node /app/src/components/lib.bundle.js ./src/components/lib.bundle.js
# Code stays root-owned, /app/src (the pages) included; the user owns only what a rebuild
# writes: Framework's cache (src/.observablehq, copied above), src/components (the generated
# lib bundle is written there with a temporary file and a rename) and the state volume
# (catalogue, caches, releases).
RUN chown node:node /app/src/components \
 && install -d -o node -g node /var/lib/marquee
USER node
VOLUME /var/lib/marquee
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["scripts/docker-entrypoint.sh"]
