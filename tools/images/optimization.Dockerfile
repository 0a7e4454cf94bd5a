# memray-cli/optimization:<suite> -- Flask app served by Gunicorn (2 workers) on port 6000.
# Built by tools/images/build.sh with context tools/ and --network host. memray is NOT installed here.
# gdb is, for mode attach's debugger way: Debian trixie's gdb 16 attaches on this machine's kernel
# (bookworm's gdb 13 fails with "Couldn't write extended state status"); the stack runs it with SYS_PTRACE.
ARG SUITE=trixie
FROM memray-cli/base:${SUITE}

RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gdb \
    && rm -rf /var/lib/apt/lists/*

COPY images/.cache/ca-bundle.crt /usr/local/share/memray-cli/ca-bundle.crt
ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DEFAULT_TIMEOUT=120 \
    PIP_CERT=/usr/local/share/memray-cli/ca-bundle.crt \
    SSL_CERT_FILE=/usr/local/share/memray-cli/ca-bundle.crt \
    REQUESTS_CA_BUNDLE=/usr/local/share/memray-cli/ca-bundle.crt

RUN python3 -m venv /opt/venv && pip install --upgrade pip

COPY images/requirements/optimization.txt /tmp/requirements.txt
RUN pip install -r /tmp/requirements.txt && rm /tmp/requirements.txt

WORKDIR /srv/app
COPY fixtures/optimization_service /srv/app/optimization_service
EXPOSE 6000
CMD ["gunicorn", "--workers", "2", "--bind", "0.0.0.0:6000", "optimization_service.app:app"]
