# memray-rust-base:bookworm -- a local stand-in for rust:1.88.0-bookworm (no image registry here).
# Built by tools/images/rust-base.sh with --network host; the context holds only the host's CA bundle.
# Debian bookworm's own rustc (1.63) is too old for current PyO3, so this takes bookworm's rustc-web /
# cargo-web (1.85, same glibc and Python 3.11 as the memray-cli/*:bookworm service images).
FROM memray-cli/base:bookworm

COPY ca-bundle.crt /usr/local/share/memray-cli/ca-bundle.crt
ENV DEBIAN_FRONTEND=noninteractive \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DEFAULT_TIMEOUT=120 \
    PIP_CERT=/usr/local/share/memray-cli/ca-bundle.crt \
    SSL_CERT_FILE=/usr/local/share/memray-cli/ca-bundle.crt \
    CARGO_HTTP_CAINFO=/usr/local/share/memray-cli/ca-bundle.crt \
    CARGO_HOME=/usr/local/cargo \
    PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# What rust:*-bookworm gives a maturin build: a C toolchain, rustc + cargo, Python headers and pip.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      rustc-web cargo-web gcc libc6-dev make git \
      python3-dev python3-pip python3-venv \
 && rm -rf /var/lib/apt/lists/* \
 && rustc --version && cargo --version

ARG MATURIN_VERSION
RUN python3 -m venv /opt/maturin \
 && /opt/maturin/bin/pip install "maturin==${MATURIN_VERSION}" \
 && ln -s /opt/maturin/bin/maturin /usr/local/bin/maturin \
 && maturin --version

CMD ["/bin/bash"]
