#!/usr/bin/env bash
# Runs the test command in a fresh Debian 12 (bookworm, minbase) root that holds nothing but a
# clone of this repository: the check that every package the suite needs is installed by the
# project's own scripts (a machine that already has one hides the miss). Needs root and
# debootstrap (apt-get install debootstrap); downloads Debian packages only.
#
#   tests/ci/fresh-root.sh [ROOT_DIR]        default build/fresh-root (reused when present)
#   HANDOVER_CI_STAGES="main asan" tests/ci/fresh-root.sh   only some stages, as tests/run.sh
#
# The root is made once with debootstrap --variant=minbase; each run copies the committed tree
# (git ls-files) into it afresh and runs `bash .ci/run` there with CI=true.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
target="${1:-$repo/build/fresh-root}"
if [ "$(id -u)" -ne 0 ]; then
  echo "fresh-root: needs root (debootstrap, chroot, mounts)" >&2
  exit 2
fi
command -v debootstrap >/dev/null || {
  echo "fresh-root: apt-get install debootstrap" >&2
  exit 2
}
if [ ! -x "$target/usr/bin/apt-get" ]; then
  # The machine's own Debian mirror, as its apt is configured.
  mirror="$(sed -n 's/^URIs: //p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)"
  [ -n "$mirror" ] || mirror="$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)"
  debootstrap --variant=minbase bookworm "$target" "$mirror"
fi
cp /etc/resolv.conf "$target/etc/resolv.conf"
# A container or a machine has /etc/hosts; debootstrap's minbase does not, and without it
# "localhost" does not resolve (chromedriver's service is reached as localhost).
[ -f "$target/etc/hosts" ] || cp /etc/hosts "$target/etc/hosts"
rm -rf "$target/root/handover"
mkdir -p "$target/root/handover"
(cd "$repo" && git ls-files -z | tar --null -T - -cf -) | tar xf - -C "$target/root/handover"

mounted=()
cleanup() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
for m in proc sys dev dev/pts dev/shm; do
  mkdir -p "$target/$m"
  case "$m" in
    proc) mount -t proc proc "$target/proc" ;;
    sys) mount -t sysfs sys "$target/sys" ;;
    dev/shm) mount -t tmpfs shm "$target/dev/shm" ;;
    *) mount --bind "/$m" "$target/$m" ;;
  esac
  mounted+=("$target/$m")
done
echo "fresh-root: running .ci/run in $target (bookworm minbase + the clone)"
chroot "$target" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin CI=true \
  HANDOVER_CI_STAGES="${HANDOVER_CI_STAGES:-all}" \
  bash -c 'cd /root/handover && bash .ci/run'
