# memray-cli/asgi:<suite> -- FastAPI app served by uvicorn on port 7000 (ASGI).
# Built by tools/images/build.sh with context tools/ and --network host. memray is NOT installed here.
ARG SUITE=bookworm
FROM memray-cli/base:${SUITE}

# The host's CA bundle (it may contain a TLS-intercepting CA) so pip works at build and at run time.
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

COPY images/requirements/asgi.txt /tmp/requirements.txt
RUN pip install --only-binary=:all: -r /tmp/requirements.txt && rm /tmp/requirements.txt

WORKDIR /srv/app
COPY fixtures/asgi_service /srv/app/asgi_service
EXPOSE 7000
CMD ["uvicorn", "asgi_service.app:app", "--host", "0.0.0.0", "--port", "7000"]
