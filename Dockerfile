# syntax=docker/dockerfile:1
# The probity image: one binary, every role (`probity serve --target ...`,
# `probity migrate`, `probity audit verify`). Build from the repository root:
#   docker build -t REGISTRY/probity:TAG .
# Needs BuildKit (the default builder of current Docker) for the cache mounts.

# Base images are pinned by digest: the same Dockerfile builds on the same
# toolchain and runtime until the pins are changed on purpose (a floating tag
# changes under a rebuild, a release cannot be rebuilt bit for bit, and a
# pushed-over tag would be run unseen). Refresh both together, and review the
# new images' changelogs and vulnerability reports first:
#   docker buildx imagetools inspect rust:1-bookworm --format '{{json .Manifest.Digest}}'
#   docker buildx imagetools inspect gcr.io/distroless/cc-debian12:nonroot --format '{{json .Manifest.Digest}}'
# (or `crane digest IMAGE`). The digests are of the multi-platform index, so
# the build still picks the builder's platform. scripts/check-chart.sh
# refuses a FROM without a digest.
FROM rust:1-bookworm@sha256:82150a52ec202c1b14d7817e14516c392bb7f5cfebd88f1ed531cb37ebd39922 AS build
WORKDIR /src
COPY . .
# The cargo registry and target directory are cache mounts, so the binary is
# copied out of the target directory in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked -p probity \
 && install -D -m 0755 target/release/probity /out/probity \
 && mkdir -p /out/home
# The CJK font notices are printed in as PDF (accountability.notices.font
# finds it where Debian puts it); only the serif collection, ~25 MB.
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-noto-cjk \
 && install -D -m 0644 /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc \
      /out/fonts/NotoSerifCJK-Regular.ttc

# glibc and libgcc only (TLS is rustls): distroless cc, same Debian release as
# the builder.
FROM gcr.io/distroless/cc-debian12:nonroot@sha256:9dac0a79194e45a7da0158a9c6da57b217585af0786db3845d1f0ec1a0dd182f AS runtime
COPY --from=build /out/probity /usr/local/bin/probity
COPY --from=build /out/fonts/ /usr/share/fonts/opentype/noto/
# Working directory owned by the runtime user: the default database.data_dir
# (./data) for `docker run` trials. In Kubernetes the root filesystem is
# read-only and every key and database is configured explicitly.
COPY --from=build --chown=10001:10001 /out/home /var/lib/probity
WORKDIR /var/lib/probity
USER 10001:10001
# Inside a container the default 127.0.0.1 is unreachable through a published
# port (`docker run -p 50051:50051`); the chart sets it too.
ENV PROBITY__SERVER__LISTEN=0.0.0.0:50051
# An image is a deployment: tokens come from the issuer's keys
# (auth.public_key_files), never from a key made beside the data.
ENV PROBITY__AUTH__DEV_KEYS=false
EXPOSE 50051
ENTRYPOINT ["probity"]
CMD ["serve"]
