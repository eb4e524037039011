#!/usr/bin/env bash
# Installs the database servers the real-server tests start on loopback
# (PostgreSQL and MariaDB), from Debian's packages, when they are missing.
# The tests start and stop their own server instances in temporary
# directories; nothing here starts a system service.
set -euo pipefail

have_postgres() {
    command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
}
have_mariadb() {
    command -v mariadbd >/dev/null 2>&1 || command -v mysqld >/dev/null 2>&1 \
        || [ -x /usr/sbin/mariadbd ] || [ -x /usr/sbin/mysqld ]
}

missing=()
have_postgres || missing+=(postgresql)
have_mariadb || missing+=(mariadb-server)
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-db-servers: missing ${missing[*]}; install them (apt-get) to run the real-server tests" >&2
    exit 0
fi
echo "install-db-servers: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Package scripts must not try to start services in a container.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod +x "$policy"
    created_policy=1
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [ "$created_policy" -eq 1 ]; then
    rm -f "$policy"
fi
