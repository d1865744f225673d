#!/usr/bin/env bash
# Builds the wirewatch image for real and runs it: `wirewatch enrich` on the seed article, then
# the service against the Kafka and Elasticsearch of WIREWATCH_KAFKA__BOOTSTRAP_SERVERS and
# WIREWATCH_INDEX__ELASTICSEARCH_URL until the seed article is searchable; the rules API answers
# 401 without a token and 200 with one (the image listens on 0.0.0.0, so `run` refuses to start
# without tokens).
#
# Needs no Docker engine and no registry: buildah builds the Dockerfile (chroot isolation) and
# runs commands in the image on the host's network. Without IMAGE_BASE, the base image is a
# Debian 12 with Python 3.11 made here with debootstrap (cached in buildah's storage).
#
#   IMAGE_BASE=python:3.11-slim scripts/image-test.sh   # where a registry is reachable
#   IMAGE_REBUILD_BASE=1 scripts/image-test.sh          # debootstrap the base again
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-localhost/wirewatch:test}
LOCAL_BASE=localhost/wirewatch-base:bookworm
SEED=tests/fixtures/seed-article.json
KAFKA=${WIREWATCH_KAFKA__BOOTSTRAP_SERVERS:?set WIREWATCH_KAFKA__BOOTSTRAP_SERVERS to a running Kafka (make image-test starts one)}
ES=${WIREWATCH_INDEX__ELASTICSEARCH_URL:?set WIREWATCH_INDEX__ELASTICSEARCH_URL to a running Elasticsearch (make image-test starts one)}
PYTHON=${PYTHON:-python3}
RUN_ID=imagetest-$(date +%s)-$$
WORK=$(mktemp -d)
CONTAINER=""
SERVICE_PID=""

say() { printf '\n== image-test: %s\n' "$*"; }
fail() { printf '\nimage-test FAILED: %s\n' "$*" >&2; exit 1; }

# Retries a network-bound step (apt, debootstrap, pip inside the build) a few times.
retry() {
    local tries=$1 attempt=1
    shift
    until "$@"; do
        if ((attempt >= tries)); then
            return 1
        fi
        echo "image-test: '$1' failed (try $attempt of $tries); retrying in $((attempt * 10)) s" >&2
        sleep $((attempt * 10))
        attempt=$((attempt + 1))
    done
}

cleanup() {
    if [[ -n $SERVICE_PID ]] && kill -0 "$SERVICE_PID" 2>/dev/null; then
        kill -TERM "$SERVICE_PID" 2>/dev/null || true
        wait "$SERVICE_PID" 2>/dev/null || true
    fi
    if [[ -n $CONTAINER ]]; then
        buildah rm "$CONTAINER" >/dev/null 2>&1 || true
    fi
    curl -s -o /dev/null -X DELETE "$ES/wirewatch-$RUN_ID-*" || true
    curl -s -o /dev/null -X DELETE "$ES/_index_template/wirewatch-$RUN_ID" || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# ---- tools ----
tools=(buildah:buildah podman:podman curl:curl)
[[ -n ${IMAGE_BASE:-} ]] || tools+=(debootstrap:debootstrap)
scripts/tools.sh "${tools[@]}" || fail "the tools above are needed to build and run the image"
[[ $(id -u) -eq 0 ]] || fail "buildah with chroot isolation needs root here; run as root (CI does)"

# ---- base image ----
base=${IMAGE_BASE:-$LOCAL_BASE}
if [[ -z ${IMAGE_BASE:-} ]] &&
    { [[ -n ${IMAGE_REBUILD_BASE:-} ]] || ! buildah inspect --type image "$LOCAL_BASE" >/dev/null 2>&1; }; then
    # The machine's own Debian mirror (apt sources), so this works where only it is reachable.
    mirror=$(grep -hoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' \
        /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null |
        awk '{print $2}' | head -n1 || true)
    mirror=${mirror:-http://deb.debian.org/debian}
    say "making the base image $LOCAL_BASE with debootstrap from $mirror"
    rootfs=$WORK/rootfs
    started=$SECONDS
    debootstrap_once() {
        rm -rf "$rootfs"
        debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
            bookworm "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1
    }
    retry 3 debootstrap_once ||
        fail "debootstrap failed three times; last lines:
$(tail -n 20 "$WORK/debootstrap.log")"
    # What a slim image leaves out too: package caches and lists, docs, man pages, locales.
    rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* \
        "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
    tar -C "$rootfs" -c . | podman import --quiet - "$LOCAL_BASE" >/dev/null ||
        fail "podman import of the debootstrapped base failed"
    echo "base image made in $((SECONDS - started)) s"
fi

# ---- build ----
say "building $IMAGE from BASE=$base"
build_args=(--build-arg "BASE=$base")
volumes=()
if [[ -d /etc/ssl/certs ]]; then
    # The host's CA bundle, for builds behind a TLS-intercepting proxy (pip inside the build).
    volumes=(-v /etc/ssl/certs:/etc/ssl/certs:ro)
    build_args+=(--build-arg "PIP_CERT=${PIP_CERT:-/etc/ssl/certs/ca-certificates.crt}")
fi
build() {
    # docker format: OCI image configs have no HEALTHCHECK.
    buildah bud --isolation chroot --format docker --layers "${build_args[@]}" "${volumes[@]}" \
        -t "$IMAGE" . >>"$WORK/build.log" 2>&1 || { echo "---- build failed ----" >>"$WORK/build.log"; return 1; }
}
started=$SECONDS
retry 2 build || fail "buildah bud failed twice; the end of each try:
$(grep -B 25 -- '---- build failed ----' "$WORK/build.log")"
build_s=$((SECONDS - started))
size=$(buildah images --format '{{.Size}}' "$IMAGE" | head -n1)
echo "built in $build_s s; image size $size"

# ---- the image's configuration ----
say "checking the image configuration"
buildah inspect --type image "$IMAGE" >"$WORK/image.json"
"$PYTHON" - "$WORK/image.json" <<'EOF'
import json, sys
config = json.load(open(sys.argv[1]))["Docker"]["config"]
problems = []
user = config.get("User") or ""
if not user or user.split(":")[0] in ("root", "0"):
    problems.append(f"runs as {user or 'root'}, not as a non-root user")
if config.get("Entrypoint") != ["wirewatch"]:
    problems.append(f"entrypoint {config.get('Entrypoint')} is not the exec form ['wirewatch']")
test = (config.get("Healthcheck") or {}).get("Test") or []
if not test or "/healthz" not in " ".join(test):
    problems.append(f"no HEALTHCHECK on /healthz: {test}")
if problems:
    sys.exit("image configuration: " + "; ".join(problems))
print(f"user {user}, entrypoint {config['Entrypoint']}, healthcheck {test[0]} on /healthz")
EOF

CONTAINER=$(buildah from --quiet --name "$RUN_ID" "$IMAGE")
user=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["Docker"]["config"]["User"])' "$WORK/image.json")
in_image() { buildah run --isolation chroot --user "$user" "$CONTAINER" -- "$@"; }

# ---- enrich, offline ----
say "wirewatch enrich on the seed article, inside the image"
"$PYTHON" -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))))' "$SEED" \
    >"$WORK/seed.jsonl"
in_image wirewatch enrich <"$WORK/seed.jsonl" >"$WORK/enriched.jsonl" 2>"$WORK/enrich.err" ||
    fail "wirewatch enrich failed in the image:
$(tail -n 20 "$WORK/enrich.err")"
"$PYTHON" - "$WORK/enriched.jsonl" "$SEED" <<'EOF'
import json, sys
documents = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
seed = json.load(open(sys.argv[2]))
if len(documents) != 1 or documents[0]["id"] != seed["id"]:
    sys.exit(f"expected one document for {seed['id']}, got {len(documents)}")
document = documents[0]
if not document["entities"] or not document["countries"]:
    sys.exit(f"the seed article was enriched without entities or countries: {document}")
print(
    f"{len(document['entities'])} entities; countries {document['countries']}; "
    f"persons {document['persons'][:5]}; topics {document['topics']}; weapons {document['weapons']}"
)
EOF

# ---- the service on the real stack ----
say "wirewatch run inside the image against Kafka $KAFKA and Elasticsearch $ES"
port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
topic=wirewatch.$RUN_ID
alias=wirewatch-$RUN_ID
service_env=(
    --env "WIREWATCH_KAFKA__BOOTSTRAP_SERVERS=$KAFKA"
    --env "WIREWATCH_INDEX__ELASTICSEARCH_URL=$ES"
    --env "WIREWATCH_INGEST__TOPIC=$topic"
    --env "WIREWATCH_INGEST__DEAD_LETTER_TOPIC=$topic.dlq"
    --env "WIREWATCH_INGEST__GROUP_ID=$RUN_ID"
    --env "WIREWATCH_INGEST__TOPIC_PARTITIONS=1"
    --env "WIREWATCH_INDEX__ALIAS=$alias"
    --env "WIREWATCH_SERVICE__HTTP_PORT=$port"
)
buildah copy --quiet "$CONTAINER" "$WORK/seed.jsonl" /tmp/seed.jsonl >/dev/null

# The image listens on 0.0.0.0: without a token of the rules API, `run` refuses to start.
if in_image env "WIREWATCH_SERVICE__HTTP_PORT=$port" wirewatch run >"$WORK/refused.log" 2>&1; then
    fail "wirewatch run started on 0.0.0.0 without any API token"
fi
grep -q 'WIREWATCH_SERVICE__API_WRITE_TOKENS_FILE' "$WORK/refused.log" ||
    fail "wirewatch run without tokens did not say which variables to set:
$(tail -n 5 "$WORK/refused.log")"
echo "without API tokens, wirewatch run refuses to start: $(grep -o 'refusing[^:]*' "$WORK/refused.log" | head -n1)"
# A write token in the environment, a read token in a file, as a mounted Secret gives it.
# Headers for curl go through files (-H @file), so no token shows in a process list.
new_token() { "$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(32))'; }
write_token=$(new_token)
read_token=$(new_token)
printf '%s\n' "$read_token" >"$WORK/read-tokens"
buildah copy --quiet --chown "$user" "$CONTAINER" "$WORK/read-tokens" /tmp/api-read-tokens >/dev/null
printf 'Authorization: Bearer %s\n' "$write_token" >"$WORK/write.header"
printf 'Authorization: Bearer %s\n' "$read_token" >"$WORK/read.header"
service_env+=(
    --env "WIREWATCH_SERVICE__API_WRITE_TOKENS=$write_token"
    --env "WIREWATCH_SERVICE__API_READ_TOKENS_FILE=/tmp/api-read-tokens"
)
buildah run --isolation chroot --user "$user" "${service_env[@]}" "$CONTAINER" -- \
    wirewatch produce /tmp/seed.jsonl ||
    fail "wirewatch produce (in the image) could not publish the seed to $topic"
started=$SECONDS
buildah run --isolation chroot --user "$user" "${service_env[@]}" "$CONTAINER" -- \
    wirewatch run >"$WORK/service.log" 2>&1 &
SERVICE_PID=$!

seed_id=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$SEED")
# Poll Elasticsearch from the host (cheap), then search once from inside the image.
deadline=$((SECONDS + 300))
until curl -fsS "$ES/$alias/_search?q=_id:%22$seed_id%22" 2>/dev/null | grep -q "\"_id\":\"$seed_id\""; do
    kill -0 "$SERVICE_PID" 2>/dev/null || fail "the service in the image exited:
$(tail -n 30 "$WORK/service.log")"
    ((SECONDS < deadline)) || fail "the seed article was not indexed within 300 s; service log:
$(tail -n 30 "$WORK/service.log")"
    sleep 2
done
echo "seed article searchable $((SECONDS - started)) s after the service started"
in_image env "WIREWATCH_INDEX__ELASTICSEARCH_URL=$ES" "WIREWATCH_INDEX__ALIAS=$alias" \
    wirewatch search 'persons:"Vladimir Putin"' --json >"$WORK/search.jsonl" ||
    fail "wirewatch search failed in the image"
grep -q "\"_id\": \"$seed_id\"" "$WORK/search.jsonl" ||
    fail "wirewatch search 'persons:\"Vladimir Putin\"' in the image did not find the seed article"
echo "wirewatch search 'persons:\"Vladimir Putin\"' in the image finds it"

curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || fail "/healthz did not answer 2xx"
curl -fsS "http://127.0.0.1:$port/metrics" >"$WORK/metrics.txt" || fail "/metrics did not answer"
grep -qE '^wirewatch_articles_indexed_total [1-9]' "$WORK/metrics.txt" ||
    fail "/metrics does not count the indexed seed: $(grep articles_indexed "$WORK/metrics.txt")"
echo "/healthz 200; /metrics: $(grep -E '^wirewatch_articles_indexed_total' "$WORK/metrics.txt")"

# The rules API: 401 without a token, 200 with either token, 403 for a read token's write.
api_status() { curl -s -o "$WORK/api.json" -w '%{http_code}' "$@"; }
expect_status() {
    local want=$1 what=$2 got
    shift 2
    got=$(api_status "$@")
    [[ $got == "$want" ]] || fail "$what answered $got, not $want: $(cat "$WORK/api.json")"
}
expect_status 401 "GET /rules without a token" "http://127.0.0.1:$port/rules"
grep -q 'Authorization: Bearer' "$WORK/api.json" || fail "the 401 does not say what to send"
expect_status 200 "GET /rules with the write token" -H "@$WORK/write.header" "http://127.0.0.1:$port/rules"
expect_status 200 "GET /alerts with the read token (from a file)" -H "@$WORK/read.header" \
    "http://127.0.0.1:$port/alerts"
expect_status 403 "POST /rules with the read token" -H "@$WORK/read.header" \
    -H 'Content-Type: application/json' -d '{"name": "x", "query": "countries:VE"}' \
    "http://127.0.0.1:$port/rules"
echo "rules API: 401 without a token, 200 with the write and the read token, 403 for a read token's POST"

# The service stops cleanly on SIGTERM: batch finished, offsets committed, exit status 0.
# `buildah run` does not forward SIGTERM (it kills its child), so the signal goes to the service
# process itself: the Python interpreter (not buildah's chroot-exec helper, whose arguments look
# the same) whose environment has this run's consumer group. Chroot isolation shares PIDs.
service_process() {
    local proc
    for proc in /proc/[0-9]*; do
        # Processes may end while this runs: their files vanish, hence the silenced redirections.
        if { tr '\0' ' ' <"$proc/cmdline"; } 2>/dev/null | grep -qE '^\S*python[0-9.]* \S*/wirewatch run' &&
            { tr '\0' '\n' <"$proc/environ"; } 2>/dev/null | grep -qx "WIREWATCH_INGEST__GROUP_ID=$RUN_ID"; then
            echo "${proc#/proc/}"
        fi
    done
}
target=$(service_process | head -n1)
[[ -n $target ]] || fail "could not find the service process under buildah run ($SERVICE_PID)"
# Peak memory, to size the Kubernetes requests and limits.
echo "service peak RSS: $(awk '/VmHWM/ {printf "%d MiB", $2 / 1024}' "/proc/$target/status")"
kill -TERM "$target"
status=0
wait "$SERVICE_PID" || status=$?
SERVICE_PID=""
((status == 0)) || fail "the service exited with $status after SIGTERM; log:
$(tail -n 30 "$WORK/service.log")"
grep -q '"stopped"' "$WORK/service.log" || fail "no 'stopped' in the service log after SIGTERM"
echo "SIGTERM: the service finished, committed and stopped (exit 0)"

say "passed: image $IMAGE, $size, built in $build_s s"
