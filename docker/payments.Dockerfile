# syntax=docker/dockerfile:1.7
# secal-payments (ledger, advances, payments, payouts). Build from the repository root:
#   docker build -f docker/payments.Dockerfile -t secal-payments:dev .
# Stage 1 compiles the one binary; stage 2 is distroless (glibc and CA certificates, no
# shell, no package manager) running as the unprivileged uid 65532.
ARG RUST_VERSION=1.95

FROM docker.io/library/rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /src
COPY . .
# The caches keep the registry and incremental artefacts between builds; the binary is
# copied out of the cache mount so that the next stage can see it.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p secal-payments --bin secal-payments \
 && install -D -m 0755 target/release/secal-payments /out/secal-payments

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/secal-payments /usr/local/bin/secal-payments
USER 65532:65532
ENV SECAL_LISTEN_ADDR=0.0.0.0:50051 \
    SECAL_LOG_FORMAT=json
EXPOSE 50051
ENTRYPOINT ["/usr/local/bin/secal-payments"]
