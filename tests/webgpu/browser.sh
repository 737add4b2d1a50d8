#!/usr/bin/env bash
# webgpu.browser: examples/webgpu-browser in a real browser (Debian's Chromium,
# headless, WebGPU on its SwiftShader), served from 127.0.0.1.
#   1. the example folder with the digits model built into model/ (mlgen build
#      --backend webgpu), served by the example's serve.mjs
#   2. browser.mjs draws held-out test digit DIGIT (x_test row, default 3)
#      with the mouse and reads the page's features, probabilities and class,
#      and saves a screenshot to SHOT_DIR/webgpu-browser.png
#   3. the class is the digit's label, and the C target on the same features
#      gives the same probabilities (within 1e-5) and class
# usage: browser.sh MLGEN SOURCE_DIR SHOT_DIR   (run under wgpu_env.sh)
set -euo pipefail
MLGEN=$1 SRC=$2 SHOT=$3
DIGIT=${DIGIT:-3}
W=$(mktemp -d)
srv=
trap '[ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$W"' EXIT
die() { echo "webgpu.browser: $*" >&2; exit 1; }
CHROMIUM=${MLGEN_CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "webgpu.browser: no $CHROMIUM (install chromium) - skipped"; exit 77; }
[ -f "$MLGEN_NODE_MODULES/playwright-core/index.mjs" ] || { echo "webgpu.browser: no playwright-core - skipped"; exit 77; }
mkdir -p "$SHOT"

echo "== 1. the page, with the model built into it"
cp -r "$SRC/examples/webgpu-browser" "$W/site"
"$MLGEN" build "$SRC/examples/digits/digits.yaml" --backend webgpu -o "$W/site/model" || die "mlgen build failed"
node "$W/site/serve.mjs" 0 >"$W/serve.log" 2>&1 &
srv=$!
for _ in $(seq 50); do grep -q listening "$W/serve.log" && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$W/serve.log")
[ -n "$url" ] || die "serve.mjs did not start: $(cat "$W/serve.log")"
echo "serving $url"

echo "== 2. draw held-out digit $DIGIT in Chromium"
node --input-type=module -e "
import fs from 'node:fs';
const npy = (f) => { const b = fs.readFileSync(f), h = b.readUInt16LE(8); return [b.subarray(10, 10 + h).toString(), b.subarray(10 + h)]; };
const [hx, x] = npy('$SRC/examples/digits/data/x_test.npy'), [hy, y] = npy('$SRC/examples/digits/data/y_test.npy');
if (!hx.includes('<f4') || !/<i8|<i4/.test(hy)) throw new Error('unexpected dtypes ' + hx + hy);
const px = Array.from(new Float32Array(x.buffer.slice(x.byteOffset + $DIGIT * 256, x.byteOffset + $DIGIT * 256 + 256)));
const label = hy.includes('<i8') ? Number(y.readBigInt64LE($DIGIT * 8)) : y.readInt32LE($DIGIT * 4);
fs.writeFileSync('$W/digit.json', JSON.stringify({ pixels: px, label }));" || die "cannot read the test split"
set +e
node "$SRC/tests/webgpu/browser.mjs" "$url" "$W/digit.json" "$W"
rc=$?
set -e
[ $rc -eq 77 ] && { echo "no Chromium WebGPU here - skipped"; exit 77; }
[ $rc -eq 0 ] || die "browser.mjs exited $rc"
cp "$W/webgpu-browser.png" "$SHOT/webgpu-browser.png"
echo "screenshot: $SHOT/webgpu-browser.png"

echo "== 3. the same features on the C target"
"$MLGEN" run "$SRC/examples/digits/digits.yaml" --target c --input x="$W/features.npy" -o "$W/c" || die "C run failed"
node --input-type=module -e "
import fs from 'node:fs';
const page = JSON.parse(fs.readFileSync('$W/page.json', 'utf8'));
const b = fs.readFileSync('$W/c/probs.npy'), h = b.readUInt16LE(8), d = b.subarray(10 + h);
const c = new Float32Array(d.buffer.slice(d.byteOffset, d.byteOffset + 40));
let err = 0, best = 0;
for (let i = 0; i < 10; i++) { err = Math.max(err, Math.abs(c[i] - page.probs[i])); if (c[i] > c[best]) best = i; }
console.log('C target: class ' + best + ', max abs difference from the page ' + err.toExponential(2));
if (err > 1e-5) { console.error('webgpu.browser: page and C probabilities differ by ' + err); process.exit(1); }
if (best !== page.cls) { console.error('webgpu.browser: page class ' + page.cls + ', C class ' + best); process.exit(1); }
if (page.cls !== page.label) { console.error('webgpu.browser: drew a ' + page.label + ', the page says ' + page.cls); process.exit(1); }
" || die "the page and the C target disagree"
echo "webgpu.browser: ok"
