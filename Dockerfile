# keelhaul as an ENTRYPOINT container that exits pass/fail.
#
#   docker run --rm -u "$(id -u):$(id -g)" --group-add "$(stat -c %g /var/run/docker.sock)" \
#     -v /var/run/docker.sock:/var/run/docker.sock -v "$PWD/reports:/reports" keelhaul:local
#
# BASE is a build argument so that machines without a registry can build on a base image they
# made themselves (scripts/build-image.sh: Debian minbase from debootstrap + the machine's Node).
# Any Debian-family base with node and npm on PATH works; tini and busybox-static are installed
# from Debian if the base does not have them.
ARG BASE=node:22-bookworm-slim

# ---- 1. dependencies, from the lock file alone --------------------------------------------------
# Its root entry holds package.json's dependency fields, so these layers stay cached while
# package.json changes elsewhere (scripts, description) and while sources change.
# --ignore-scripts: no dependency needs an install script to work (ssh2's optional native crypto
# falls back to JS), and `prepare` (tsc) runs in the build stage.
FROM ${BASE} AS deps
# An egress proxy that re-signs TLS: scripts/build-image.sh passes the machine's npm cafile.
ARG NPM_CONFIG_CAFILE
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
WORKDIR /opt/keelhaul
COPY package-lock.json ./
RUN node -e "const fs=require('fs'); const r=JSON.parse(fs.readFileSync('package-lock.json','utf8')).packages['']; \
      const keep=['name','version','dependencies','devDependencies','optionalDependencies','peerDependencies','engines']; \
      fs.writeFileSync('package.json', JSON.stringify(Object.fromEntries(keep.filter((k)=>r[k]).map((k)=>[k,r[k]])), null, 2));" \
 && npm ci --ignore-scripts --no-audit --no-fund

# ---- 1b. production dependencies only ---------------------------------------------------------
FROM deps AS prod-deps
# allure-commandline is a Java program (33 MB of jars); the image has no JRE. Reports are generated
# on the CI side (Allure plugins) or with `keelhaul report` where Java is.
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/allure-commandline node_modules/.bin/allure

# ---- 1c. compile --------------------------------------------------------------------------------
FROM deps AS build
# The sources .dockerignore lets in (its allow-list names tsconfig.json's folders; build-image.sh
# checks that), with the real package.json: its "type": "module" decides how tsc emits.
COPY . .
RUN npx tsc -p tsconfig.json && find dist -name '*.map' -delete

# ---- 1d. the static syscall helper ISO-20 adds to the busybox probe image when keelhaul seeds it --
# Built from helpers/keelhaul-syscalls.c (never a committed binary): gcc and libc6-dev's libc.a from
# Debian's mirror when the base lacks them; no container registry is involved.
FROM ${BASE} AS syscall-helper
COPY helpers/keelhaul-syscalls.c /src/keelhaul-syscalls.c
RUN set -eu; \
    if ! command -v gcc >/dev/null 2>&1 || ! dpkg -s libc6-dev >/dev/null 2>&1; then \
      apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*; \
    fi; \
    gcc -static -O2 -o /src/keelhaul-syscalls /src/keelhaul-syscalls.c; \
    /src/keelhaul-syscalls | grep -q '^sc.done=1'

# ---- 2. runtime: node, tini, a static busybox, production dependencies, dist/, features/ ------
FROM ${BASE}
# tini: PID 1 that forwards SIGTERM/SIGINT to keelhaul (which sweeps its containers and exits
# 143/130) and reaps zombies. busybox-static: keelhaul seeds the busybox probe image from it on
# platforms that cannot pull. Installed only if the base lacks them (the local base has both).
RUN set -eu; missing=""; \
    [ -x /usr/bin/tini ] || missing="$missing tini"; \
    dpkg -s busybox-static >/dev/null 2>&1 || missing="$missing busybox-static"; \
    if [ -n "$missing" ]; then \
      apt-get update && apt-get install -y --no-install-recommends $missing && rm -rf /var/lib/apt/lists/*; \
    fi; \
    /bin/busybox true; \
    groupadd --system --gid 10001 keelhaul; \
    useradd --system --uid 10001 --gid keelhaul --home-dir /home/keelhaul --create-home --shell /usr/sbin/nologin keelhaul; \
    # /reports: the default reports folder (mount a host folder there). /work: the working
    # directory; a project mounted at /work (bin/keelhaul-docker) hides the reports link, so its
    # reports land in ./reports of the project instead. Both writable for any --user.
    mkdir -p /reports /work /features; chmod 1777 /reports /work; ln -s /reports /work/reports
WORKDIR /opt/keelhaul
COPY --from=prod-deps /opt/keelhaul/node_modules ./node_modules
COPY package.json ./
COPY --from=build /opt/keelhaul/dist ./dist
COPY features ./features
COPY profiles ./profiles
COPY helpers ./helpers
COPY --from=syscall-helper /src/keelhaul-syscalls ./libexec/keelhaul-syscalls
ENV NODE_ENV=production \
    KEELHAUL_BUSYBOX=/bin/busybox \
    KEELHAUL_SYSCALL_HELPER=/opt/keelhaul/libexec/keelhaul-syscalls \
    NO_UPDATE_NOTIFIER=1
WORKDIR /work
# Runs as an unprivileged user; give it the engine socket's group at run time:
#   --group-add "$(stat -c %g /var/run/docker.sock)"   (or -u "$(id -u):$(id -g)" plus that)
USER keelhaul
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/opt/keelhaul/dist/cli/main.js"]
CMD ["run"]
# Last, so a new commit changes only this metadata layer, not the cached ones above.
ARG REVISION=unknown
ARG VERSION=unknown
LABEL org.opencontainers.image.title="keelhaul" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.description="Gherkin-driven security and conformance tests for Docker-API container platforms" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.revision="${REVISION}"
