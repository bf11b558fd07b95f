#!/usr/bin/env bash
# Checks the .deb that `cpack -G DEB` built in BUILD_DIR, as CI does (tests/run-all.sh):
#   1. dpkg-deb -I / -c: the control fields and the files a user expects are there;
#   2. lintian: no error and no warning (the few tags we accept, with why, are in
#      packaging/debian/lintian-accepted);
#   3. unpacked into a throwaway root: `gatehouse check` on the installed config (its paths
#      moved into that root) and `systemd-analyze verify` on the installed unit.
#   packaging/check-deb.sh build-ci
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:?usage: check-deb.sh BUILD_DIR}"
shopt -s nullglob
debs=("$build"/gatehouse_*.deb)
((${#debs[@]} == 1)) || { echo "expected one gatehouse_*.deb in $build, found ${#debs[@]}" >&2; exit 1; }
deb="${debs[0]}"

echo "--- dpkg-deb -I $deb"
dpkg-deb -I "$deb"
contents="$(dpkg-deb -c "$deb")"
for path in ./usr/bin/gatehouse ./usr/lib/systemd/system/gatehouse.service \
  ./etc/gatehouse/gatehouse.yaml ./etc/logrotate.d/gatehouse \
  ./usr/share/man/man8/gatehouse.8.gz ./usr/share/man/man5/gatehouse.yaml.5.gz \
  ./usr/share/bash-completion/completions/gatehouse ./usr/share/doc/gatehouse/copyright \
  ./usr/share/doc/gatehouse/changelog.Debian.gz ./usr/share/doc/gatehouse/INTERFACE.md \
  ./usr/share/doc/gatehouse/examples/; do
  grep -q " $path\$" <<<"$contents" || { echo "missing from the package: $path" >&2; exit 1; }
done
for field in Depends: "Section: httpd" Maintainer:; do
  dpkg-deb -f "$deb" | grep -q "^$field" || { echo "control lacks $field" >&2; exit 1; }
done

echo "--- lintian"
accepted="$(awk '!/^#/ && NF { print $1 }' "$repo/packaging/debian/lintian-accepted" | paste -sd, -)"
lintian --fail-on error,warning --tag-display-limit 0 ${accepted:+--suppress-tags "$accepted"} "$deb"

echo "--- installed into a throwaway root"
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"
mkdir -p "$root/var/lib/gatehouse"
echo "check-deb-token-0123456789" > "$root/etc/gatehouse/admin.token"
sed -e "s#/etc/gatehouse/#$root/etc/gatehouse/#g" -e "s#/var/lib/gatehouse/#$root/var/lib/gatehouse/#g" \
  "$root/etc/gatehouse/gatehouse.yaml" > "$root/check.yaml"
"$root/usr/bin/gatehouse" check -c "$root/check.yaml"
"$root/usr/bin/gatehouse" --version

unit="$root/gatehouse.service"
sed -e "s#/usr/bin/gatehouse#$root/usr/bin/gatehouse#g" -e "s#/etc/gatehouse/#$root/etc/gatehouse/#g" \
  "$root/usr/lib/systemd/system/gatehouse.service" > "$unit"
# verify warns about the gatehouse user only where it does not exist yet; anything else fails.
# --man=no: the man pages are in the throwaway root, not on this system; they are checked below.
out="$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$unit" 2>&1 || true)"
problems="$(grep -v -e "^$" -e "User=gatehouse\|Group=gatehouse\|user or group" <<<"$out" || true)"
if [[ -n "$problems" ]]; then
  echo "systemd-analyze verify:" >&2
  echo "$out" >&2
  exit 1
fi
for page in "$root"/usr/share/man/man*/*.gz; do
  warnings="$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)"
  [[ -z "$warnings" ]] || { echo "$page: $warnings" >&2; exit 1; }
done
echo "package ok: $deb"
