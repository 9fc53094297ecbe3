#!/usr/bin/env bash
# Installs the Debian packages Nurture builds and tests with, when any is missing.
# Usage: scripts/install-deps.sh [extra-package...]
set -euo pipefail

# Build: libsqlite3-dev, libcurl4-openssl-dev. Tests: tzdata (time zones), python3-aiosmtpd
# (a real SMTP server), openssl (a throw-away certificate), sqlite3, postfix (smtp-sink
# and smtp-source for the benchmark), curl (HTTP against serve), chromium (the pages,
# in a real headless browser), postgresql (a real server for the PostgreSQL store, started
# by the tests as an unprivileged cluster in a temporary folder), python3-dkim and
# python3-nacl (dkimpy, the independent verifier of our DKIM signatures, RSA and Ed25519),
# libsisimai-perl (sisimai, the reference reader of bounce mail the classifier is compared with),
# dovecot-imapd and dovecot-pop3d (a real IMAP and POP3 server for `inbound --mailbox`, started
# by the tests as a private instance on free ports).
packages=(libsqlite3-dev libcurl4-openssl-dev tzdata pkg-config python3-aiosmtpd openssl sqlite3 postfix curl chromium postgresql python3-dkim python3-nacl libsisimai-perl dovecot-imapd dovecot-pop3d "$@")
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]} > 0)); then
    sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    echo "installing: ${missing[*]}"
    $sudo apt-get update -qq
    # Postfix asks how to configure itself; the tests only need its smtp-sink and smtp-source.
    echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
    # The tests start PostgreSQL clusters of their own; the package's default cluster
    # (and the service it would start on port 5432) is not wanted.
    if [[ ! -e /etc/postgresql-common/createcluster.conf ]]; then
        $sudo mkdir -p /etc/postgresql-common
        echo "create_main_cluster = false" | $sudo tee /etc/postgresql-common/createcluster.conf >/dev/null
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
