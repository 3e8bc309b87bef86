# The operator image: the bundled CLI (`ci-remediator operator`) on a distroless Node.js 24 runtime, which has
# no shell and no package manager. Build and check: docs/install.md, "The image".
#
#   docker build -t ghcr.io/ci-remediator/ci-remediator:0.1.0 .
#
# `npm run image:check` verifies, without docker, that the tree this copies starts on its own and that USER and
# ENTRYPOINT match the chart's securityContext and args.

# Node.js major must match the `node` devDependency (package.json) the bundle is built and tested with.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Lockfile only; no install scripts (the `node` devDependency's download and `prepare` are not needed here).
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY bin ./bin
COPY src ./src
COPY operator ./operator
COPY scripts/build-cli.mjs scripts/stage-image.mjs ./scripts/
COPY tsconfig.json ./
RUN node scripts/build-cli.mjs && node scripts/stage-image.mjs /out/app

FROM gcr.io/distroless/nodejs${NODE_VERSION}-debian12:nonroot
# Owned by root and read-only to the process: the chart also mounts the root filesystem read-only.
COPY --from=build --chown=0:0 /out/app /app
WORKDIR /app
# Numeric, so `runAsNonRoot` can be verified by the kubelet; the chart's podSecurityContext uses the same ids.
USER 65532:65532
ENV NODE_ENV=production
# Exec form: no shell at run time. The chart passes `operator` and its flags as args.
ENTRYPOINT ["/nodejs/bin/node", "/app/bin/ci-remediator.js"]
CMD ["operator", "--help"]
