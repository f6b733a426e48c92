#!/usr/bin/env bash
# Vendor the front-end packages into static/vendor/ from the npm registry (`npm pack`), pinned by
# version and by the SHA-256 of every file copied. Re-runnable: the same pins give the same bytes.
# Each minified file is copied with the source map it references (`//# sourceMappingURL=`), because
# collectstatic's manifest storage rewrites that reference and fails when the map is missing.
#
#   scripts/vendor_static.sh            fetch, verify, copy
#   scripts/vendor_static.sh --check    verify the files in static/vendor/ against the pins only
#
# To upgrade a package: change its version below, run once, read the hashes it reports as wrong,
# review the new files, put the new hashes here, run the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
VENDOR=static/vendor

# package@version  file-in-package  destination  sha256
PINS=(
  "htmx.org@2.0.11 package/dist/htmx.min.js htmx/htmx.min.js d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"
  "htmx.org@2.0.11 package/LICENSE htmx/LICENSE -"
  "chart.js@4.6.1 package/dist/chart.umd.min.js chartjs/chart.umd.min.js 87364cc2b2a76a6684929e7d6b80b18a897794db38400caff1fcf1791c6925d2"
  "chart.js@4.6.1 package/dist/chart.umd.min.js.map chartjs/chart.umd.min.js.map b4b4e658a3a10695139f5f2ac2a31a0a0b04619cbdddc4e0793b97a8e9804321"
  "chart.js@4.6.1 package/LICENSE.md chartjs/LICENSE.md -"
)

verify() {  # file expected-sha256 ("-": licence texts, not pinned)
  [ "$2" = "-" ] && return 0
  local got
  got=$(sha256sum "$1" | cut -d' ' -f1)
  [ "$got" = "$2" ] || { echo "SHA-256 of $1 is $got, pinned $2" >&2; return 1; }
}

if [ "${1:-}" = "--check" ]; then
  for pin in "${PINS[@]}"; do
    read -r _ _ dest sum <<<"$pin"
    verify "$VENDOR/$dest" "$sum"
  done
  echo "static/vendor matches the pins"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for spec in $(printf '%s\n' "${PINS[@]}" | cut -d' ' -f1 | sort -u); do
  (cd "$work" && mkdir -p "$spec" && cd "$spec" && npm pack --silent "$spec" >/dev/null && tar xzf ./*.tgz)
done
for pin in "${PINS[@]}"; do
  read -r spec src dest sum <<<"$pin"
  verify "$work/$spec/$src" "$sum"
  mkdir -p "$(dirname "$VENDOR/$dest")"
  cp "$work/$spec/$src" "$VENDOR/$dest"
  echo "$VENDOR/$dest  ← $spec $src"
done
