# memray-cli/forecast:<suite> -- Flask app served by Waitress on port 5000.
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

COPY images/requirements/forecast.txt /tmp/requirements.txt
RUN pip install -r /tmp/requirements.txt && rm /tmp/requirements.txt

# memray-cli's attach agent (the harness package, staged by build.sh): a .pth line puts it on the path and
# imports its boot module at every interpreter start, which starts the agent only where MEMRAY_CLI_AGENT=1
# (the stack sets it for the forecast service: mode attach then needs no debugger and no ptrace).
COPY images/.cache/agent/memray_harness /opt/memray-cli/memray_harness
RUN printf '/opt/memray-cli\nimport memray_harness.attach.boot\n' \
      > "$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/memray_cli_agent.pth"

WORKDIR /srv/app
COPY fixtures/forecast_service /srv/app/forecast_service
ENV UPSTREAM_URL=http://wiremock:8080
EXPOSE 5000
CMD ["waitress-serve", "--host=0.0.0.0", "--port=5000", "forecast_service.app:app"]
