#!/bin/sh
# Installs the Debian packages nfxdp needs to build and to run its tests.
set -e
export DEBIAN_FRONTEND=noninteractive
BUILD="make gcc clang llvm pkg-config bpftool libbpf-dev libxdp-dev libelf-dev zlib1g-dev libjson-c-dev libyaml-dev libpcap-dev libmicrohttpd-dev libc-ares-dev libcurl4-openssl-dev libclang-rt-14-dev libsystemd-dev libcap-ng-dev"
# the Debian package (make deb, tests/meta/test-deb.sh), the unit and man page checks
PKG="dpkg-dev debhelper fakeroot lintian adduser logrotate systemd groff-base man-db"
TEST="iproute2 xdp-tools softflowd pmacct tcpreplay python3 python3-jsonschema procps dnsmasq-base clickhouse-server clickhouse-client zookeeper"
apt-get update -qq
apt-get install -y -qq --no-install-recommends $BUILD $TEST $PKG
