#!/usr/bin/env bash
# The installed API: installs the build into a temporary root, then builds and runs
# tests/install/consumer.cpp against it from outside the source tree, with nothing but
# `pkg-config streaming-utils-1.0` — a public header that includes an internal one, or a
# dependency the .pc file does not name, fails the build.
set -euo pipefail
build=$1
consumer=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

meson install -C "$build" --destdir "$work/root" --no-rebuild --quiet
pc=$(find "$work/root" -name streaming-utils-1.0.pc | head -n 1)
[ -n "$pc" ] || { echo "no streaming-utils-1.0.pc installed" >&2; exit 1; }
# The .pc as installed, its prefix moved under the temporary root.
mkdir "$work/pkgconfig"
sed "s|^prefix=|prefix=$work/root|" "$pc" > "$work/pkgconfig/streaming-utils-1.0.pc"
export PKG_CONFIG_PATH="$work/pkgconfig"
cflags=$(pkg-config --cflags streaming-utils-1.0)
libs=$(pkg-config --libs streaming-utils-1.0)
libdir=$(pkg-config --libs-only-L streaming-utils-1.0 | sed 's/^ *-L//; s/ .*//')
echo "installed headers:"
(cd "$work/root" && find . -name '*.hpp' | sort)

cp "$consumer" "$work/consumer.cpp"
cd "$work"
g++ -std=c++20 -Wall -Wextra -Werror consumer.cpp $cflags $libs -o consumer
LD_LIBRARY_PATH="$libdir" ./consumer
echo "installed API: built and ran a program against it"
