# syntax=docker/dockerfile:1.7
# The social-security network simulator (dev and tests only). Build from the repository root:
#   docker build -f docker/ssn-simulator.Dockerfile -t secal-ssn-simulator:dev .
# PACKAGE is the crate that holds the simulator's binary (issue 5): pass
# --build-arg PACKAGE=<crate> if it lives elsewhere.
ARG RUST_VERSION=1.95

FROM docker.io/library/rust:${RUST_VERSION}-slim-bookworm AS build
ARG PACKAGE=secal-data-exchange
ARG BIN=secal-ssn-simulator
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p "${PACKAGE}" --bin "${BIN}" \
 && install -D -m 0755 "target/release/${BIN}" /out/secal-ssn-simulator

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/secal-ssn-simulator /usr/local/bin/secal-ssn-simulator
USER 65532:65532
ENV SECAL_SSN_SIMULATOR_LISTEN=0.0.0.0:50070
EXPOSE 50070
ENTRYPOINT ["/usr/local/bin/secal-ssn-simulator"]
