#!/usr/bin/env bash
# Writes the seed examples' protobuf encodings into fuzz/corpus/compute_arrears_request, so
# that libFuzzer starts from real requests rather than from nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
SECAL_WRITE_FUZZ_CORPUS="$PWD/fuzz/corpus/compute_arrears_request" \
    cargo test -p secal-calculation --test decode_path --quiet
