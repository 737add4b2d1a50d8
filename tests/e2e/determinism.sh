#!/usr/bin/env bash
# e2e.determinism: building the same model twice gives byte-identical
# folders, and manifest.json records the version, hashes and options.
set -euo pipefail
mlgen=$1 model=$2
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
"$mlgen" build "$model" -o "$w/a" 2>/dev/null
"$mlgen" build "$model" -o "$w/b" 2>/dev/null
diff -r "$w/a" "$w/b"
m="$w/a/manifest.json"
for key in '"mlgen":' '"model":' '"sha256":' '"options":' '"files":' '"constants_sha256":'; do
  grep -q "$key" "$m" || { echo "manifest lacks $key"; exit 1; }
done
# every file hash in the manifest matches the file
grep -o '"name": "[^"]*", "sha256": "[0-9a-f]*"' "$m" | while IFS='"' read -r _ _ _ name _ _ _ hash _; do
  got=$(sha256sum "$w/a/$name" | cut -d' ' -f1)
  [ "$got" = "$hash" ] || { echo "hash mismatch for $name"; exit 1; }
done
echo "determinism: ok ($(ls "$w/a" | wc -l) files identical)"
