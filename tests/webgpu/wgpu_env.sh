#!/usr/bin/env bash
# wgpu_env.sh CMD [ARGS...]: runs CMD where `mlgen run --target webgpu` can
# run: node, the npm package webgpu (Dawn for Node) in $MLGEN_NODE_MODULES
# (default tests/webgpu/node_modules, which scripts/setup.sh installs with
# npm ci) and a Dawn adapter on its OpenGL ES backend (Mesa, headless, EGL's
# surfaceless platform). Exits 77 (skipped) when one is missing.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
skip() { echo "wgpu_env: $* - skipped"; exit 77; }
export MLGEN_NODE_MODULES=${MLGEN_NODE_MODULES:-$here/node_modules}
export EGL_PLATFORM=${EGL_PLATFORM:-surfaceless}
node=${MLGEN_NODE:-node}
command -v "$node" >/dev/null || skip "no node (install nodejs)"
[ -f "$MLGEN_NODE_MODULES/webgpu/index.js" ] || skip "no npm package webgpu in $MLGEN_NODE_MODULES (run scripts/setup.sh)"
probe=$("$node" --input-type=module -e "
const d = await import('$MLGEN_NODE_MODULES/webgpu/index.js');
Object.assign(globalThis, d.globals);
const a = await d.create(['backend=${MLGEN_WEBGPU_BACKEND:-opengles}']).requestAdapter({featureLevel: 'compatibility'});
console.log(a ? 'adapter' : 'none');" 2>/dev/null | tail -n 1)
[ "$probe" = adapter ] || skip "no WebGPU adapter on Dawn's ${MLGEN_WEBGPU_BACKEND:-opengles} backend (install libegl1 libegl-mesa0 libgles2)"
exec "$@"
