# memray-cli/wiremock:bookworm -- WireMock standalone (the jar of the `wiremock` npm package) on a Java 17
# runtime, serving tools/wiremock/mappings on port 8080. Built by tools/images/build.sh with --network host
# and a staged context (images/.cache/wiremock-context/: the jar, the host CA bundle, the mappings).
ARG SUITE=bookworm
FROM memray-cli/base:${SUITE}

# The host's CA bundle (it may contain a TLS-intercepting CA): apt over https and Java trust it.
COPY ca-bundle.crt /usr/local/share/memray-cli/ca-bundle.crt
# The base image has no /usr/share/man: the JRE's update-alternatives needs man1 to exist.
RUN mkdir -p /usr/share/man/man1 \
 && printf 'Acquire::https::CAInfo "/usr/local/share/memray-cli/ca-bundle.crt";\n' >/etc/apt/apt.conf.d/99memray-ca \
 && apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends openjdk-17-jre-headless \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/*

COPY wiremock-standalone.jar /opt/wiremock/wiremock-standalone.jar
COPY mappings /home/wiremock/mappings
WORKDIR /home/wiremock
EXPOSE 8080
# A bounded journal (the host resets it before every run); small heap: the stack shares 2 cores.
CMD ["java", "-Xms32m", "-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", \
     "-jar", "/opt/wiremock/wiremock-standalone.jar", \
     "--port", "8080", "--root-dir", "/home/wiremock", "--disable-banner", \
     "--max-request-journal-entries", "10000", "--container-threads", "16"]
