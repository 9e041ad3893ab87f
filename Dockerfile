# syntax=docker/dockerfile:1
# The probity image: one binary, every role (`probity serve --target ...`,
# `probity migrate`, `probity audit verify`). Build from the repository root:
#   docker build -t REGISTRY/probity:TAG .
# Needs BuildKit (the default builder of current Docker) for the cache mounts.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# The cargo registry and target directory are cache mounts, so the binary is
# copied out of the target directory in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked -p probity \
 && install -D -m 0755 target/release/probity /out/probity \
 && mkdir -p /out/home

# glibc and libgcc only (TLS is rustls): distroless cc, same Debian release as
# the builder. Pin it by digest (…:nonroot@sha256:…) in the release pipeline.
FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
COPY --from=build /out/probity /usr/local/bin/probity
# Working directory owned by the runtime user: the default database.data_dir
# (./data) for `docker run` trials. In Kubernetes the root filesystem is
# read-only and every key and database is configured explicitly.
COPY --from=build --chown=10001:10001 /out/home /var/lib/probity
WORKDIR /var/lib/probity
USER 10001:10001
# Inside a container the default 127.0.0.1 is unreachable through a published
# port (`docker run -p 50051:50051`); the chart sets it too.
ENV PROBITY__SERVER__LISTEN=0.0.0.0:50051
EXPOSE 50051
ENTRYPOINT ["probity"]
CMD ["serve"]
