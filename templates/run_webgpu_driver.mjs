## run_webgpu_driver.mjs -> webgpu/driver.mjs of `mlgen run --target webgpu`
## (temporary), written by cli/run_webgpu.c (wgpu_run).
## Syntax: codegen/templates.h. Placeholders:
##   {{name}}   the model's name (an identifier): the files <name>_webgpu.js
##              and <name>_weights.bin beside this driver
// driver.mjs: runs {{name}} once on WebGPU through Dawn (npm `webgpu`).
//   node driver.mjs IN.bin... OUT.bin...   (raw bytes, the model's order)
// $MLGEN_NODE_MODULES: the node_modules folder that holds `webgpu`.
// $MLGEN_WEBGPU_BACKEND: Dawn's backend (default opengles, headless on Mesa
// through EGL's surfaceless platform; null validates but computes nothing).
// Exit 0 ran, 77 no webgpu package or no adapter, 1 the model failed.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const backend = process.env.MLGEN_WEBGPU_BACKEND || 'opengles';
if (!process.env.EGL_PLATFORM) process.env.EGL_PLATFORM = 'surfaceless';
let dawn;
try {
  const dir = process.env.MLGEN_NODE_MODULES;
  dawn = await import(dir ? pathToFileURL(path.join(dir, 'webgpu', 'index.js')).href : 'webgpu');
} catch (e) {
  console.error(`mlgen: cannot load the npm package webgpu (set MLGEN_NODE_MODULES): ${e.message}`);
  process.exit(77);
}
Object.assign(globalThis, dawn.globals);
const gpu = dawn.create([`backend=${backend}`]);
const adapter = await gpu.requestAdapter({ featureLevel: 'compatibility' });
if (!adapter) {
  console.error(`mlgen: no WebGPU adapter on Dawn's ${backend} backend`);
  process.exit(77);
}
const device = await adapter.requestDevice({
  requiredLimits: {
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
    maxBufferSize: adapter.limits.maxBufferSize,
  },
});
device.addEventListener('uncapturederror', (ev) => {
  console.error(`mlgen: uncaptured WebGPU error: ${ev.error.message}`);
  process.exitCode = 1;
});
const { createModel, ARRAYS } = await import('./mlgen-webgpu.js');
const { model } = await import('./{{name}}_webgpu.js');
const args = process.argv.slice(2);
if (args.length !== model.inputs.length + model.outputs.length) {
  console.error(`mlgen: driver: ${args.length} files given, expected ${model.inputs.length} inputs + ${model.outputs.length} outputs`);
  process.exit(2);
}
try {
  const m = await createModel(device, model, fs.readFileSync(path.join(here, model.weightsFile)));
  const inputs = model.inputs.map((t, i) => {
    const b = fs.readFileSync(args[i]);
    const A = ARRAYS[t.dtype];
    const copy = new Uint8Array(b.byteLength);
    copy.set(b);
    return new A(copy.buffer);
  });
  const repeat = Math.max(1, parseInt(process.env.MLGEN_WEBGPU_REPEAT || '1', 10));
  let out;
  const t0 = performance.now();
  for (let r = 0; r < repeat; r++) out = await m.run(inputs);
  if (process.env.MLGEN_WEBGPU_TIMING) console.error(`mlgen: ${((performance.now() - t0) / repeat).toFixed(3)} ms per run`);
  model.outputs.forEach((t, i) => {
    const a = out[t.name];
    fs.writeFileSync(args[model.inputs.length + i], new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  });
  m.destroy();
} catch (e) {
  console.error(e.message);
  process.exitCode = 1;
}
device.destroy();
