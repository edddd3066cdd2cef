#!/usr/bin/env bash
# The Debian packages, proven in a fresh system: scripts/prove-deb (build with dpkg-buildpackage,
# lintian, install into a `debootstrap --variant=minbase bookworm` chroot, the checks there,
# remove, purge) with the packages built into this build directory. Needs root and Debian's
# mirror; skipped with the reason otherwise. What is packaged is the last commit (git archive).
set -euo pipefail
source_root=$1
out=$2
if [ "$(id -u)" != 0 ]; then
  echo "skipped: building the chroot needs root"
  exit 77
fi
if ! git -C "$source_root" rev-parse --verify -q HEAD > /dev/null; then
  echo "skipped: not a git checkout (the packages are built from the last commit)"
  exit 77
fi
if [ -n "$(git -C "$source_root" status --porcelain --untracked-files=no)" ]; then
  echo "note: uncommitted changes are not in the packages (built from $(git -C "$source_root" rev-parse --short HEAD))"
fi
# A clean environment: nothing of the test setup (GST_PLUGIN_PATH, G_DEBUG, MALLOC_PERTURB_...)
# reaches the package build or the chroot.
exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="${HOME:-/root}" LANG=C.UTF-8 \
  DEB_OUT="$out" "$source_root/scripts/prove-deb"
