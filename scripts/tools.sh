#!/usr/bin/env bash
# Makes sure the named commands exist, installing their Debian packages with apt-get when they
# do not (as root, with retries); fails saying what to install otherwise.
#
#   scripts/tools.sh promtool:prometheus docker-compose:docker-compose
set -euo pipefail

packages=()
for wanted in "$@"; do
    command -v "${wanted%%:*}" >/dev/null || packages+=("${wanted#*:}")
done
((${#packages[@]})) || exit 0

if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "missing tools: install the packages ${packages[*]} (Debian: sudo apt-get install ${packages[*]}) and rerun" >&2
    exit 1
fi

retry() {
    local attempt
    for attempt in 1 2 3; do
        "$@" && return 0
        echo "tools: '$*' failed (try $attempt of 3)" >&2
        sleep $((attempt * 10))
    done
    return 1
}

echo "tools: installing ${packages[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
retry apt-get update -q >/dev/null || {
    echo "tools: apt-get update failed three times; check the network and the apt sources" >&2
    exit 1
}
retry apt-get install -y -q --no-install-recommends "${packages[@]}" >/dev/null || {
    echo "tools: apt-get install ${packages[*]} failed three times" >&2
    exit 1
}
