#!/usr/bin/env bash
# The installed API: installs the build into a temporary root, then builds and runs
# tests/install/consumer.cpp against it from outside the source tree, with nothing but
# `pkg-config streaming-utils-1.0` — a public header that includes an internal one, or a
# dependency the .pc file does not name, fails the build. Then the same for the GObject API:
# examples/c/broadcast.c built with `pkg-config streaming-utils-glib-1.0` alone, run against a
# Janus that is not there (it must say so and exit 1), and the typelib installed.
set -euo pipefail
build=$1
consumer=$2
c_example=$3
introspection=${4:-yes}  # "no" when built without it
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

meson install -C "$build" --destdir "$work/root" --no-rebuild --quiet
pc=$(find "$work/root" -name streaming-utils-1.0.pc | head -n 1)
[ -n "$pc" ] || { echo "no streaming-utils-1.0.pc installed" >&2; exit 1; }
# The .pc as installed, its prefix moved under the temporary root.
mkdir "$work/pkgconfig"
for installed in $(find "$work/root" -name 'streaming-utils*-1.0.pc'); do
  sed "s|^prefix=|prefix=$work/root|" "$installed" > "$work/pkgconfig/$(basename "$installed")"
done
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

if [ "$introspection" = yes ] && [ -z "$(find "$work/root" -name StreamingUtils-1.0.typelib)" ]; then
  echo "no typelib installed" >&2
  exit 1
fi
cp "$c_example" "$work/broadcast.c"
gcc -Wall -Wextra -Werror broadcast.c $(pkg-config --cflags --libs streaming-utils-glib-1.0) \
    -o broadcast
status=0
LD_LIBRARY_PATH="$libdir" ./broadcast --janus-url ws://127.0.0.1:9 > broadcast.out 2>&1 || status=$?
cat broadcast.out
if [ "$status" -ne 1 ] || ! grep -q "cannot connect to Janus" broadcast.out; then
  echo "the C example should say it cannot connect to Janus and exit 1 (exit $status)" >&2
  exit 1
fi
echo "installed GObject API: built and ran the C example against it"
