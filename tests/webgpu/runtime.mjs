// runtime.mjs: runtime-min/webgpu's contract, on a built model folder (Node +
// Dawn; run by tests/webgpu/digits.sh under wgpu_env.sh).
//   node runtime.mjs WEBGPU_DIR INPUT.npy EXPECTED.npy
// A good run equals EXPECTED (the C target's output) within 1e-5; two runs
// queued at once both do; and every failure is a rejected promise whose
// message says what went wrong: weights of the wrong size or content, an
// input of the wrong type or length or missing, a kernel whose WGSL does not
// compile (named), a run after the device is gone. Exit 0, or 1 with the
// first broken promise.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [dir, inPath, wantPath] = process.argv.slice(2);
const dawn = await import(pathToFileURL(path.join(process.env.MLGEN_NODE_MODULES, 'webgpu', 'index.js')).href);
Object.assign(globalThis, dawn.globals);
const { createModel } = await import(pathToFileURL(path.join(dir, 'mlgen-webgpu.js')).href);
const js = fs.readdirSync(dir).find((f) => f.endsWith('_webgpu.js'));
const { model } = await import(pathToFileURL(path.join(dir, js)).href);
const weights = fs.readFileSync(path.join(dir, model.weightsFile));

// a little-endian float32 .npy (format 1.0)
function npyF32(file) {
  const b = fs.readFileSync(file);
  const hl = b.readUInt16LE(8);
  const hdr = b.subarray(10, 10 + hl).toString('latin1');
  if (!hdr.includes("'<f4'")) throw new Error(`${file}: not float32`);
  const data = b.subarray(10 + hl);
  return new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

let failures = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}
async function rejects(what, re, fn) {
  try {
    await fn();
    check(false, `${what}: resolved, expected a rejection matching ${re}`);
  } catch (e) {
    check(re.test(e.message), `${what}: ${e.message}`);
  }
}

const gpu = dawn.create([`backend=${process.env.MLGEN_WEBGPU_BACKEND || 'opengles'}`]);
async function device() {
  const a = await gpu.requestAdapter({ featureLevel: 'compatibility' });
  return a.requestDevice();
}

const dev = await device();
const x = npyF32(inPath), want = npyF32(wantPath);
const inName = model.inputs[0].name, outName = model.outputs[model.outputs.length - 1].name;
const m = await createModel(dev, model, weights);
const [r1, r2] = await Promise.all([m.run({ [inName]: x }), m.run([x])]);
for (const [r, what] of [[r1, 'run by name'], [r2, 'queued run by position']]) {
  const got = r[outName];
  let err = got.length === want.length ? 0 : Infinity;
  for (let i = 0; i < want.length && err !== Infinity; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
  check(err <= 1e-5, `${what}: ${outName} equals the C target's (max abs diff ${err})`);
}

await rejects('weights of the wrong size', /weights are \d+ bytes, the model expects/, () =>
  createModel(dev, model, weights.subarray(0, weights.length - 4)));
const bad = Buffer.from(weights);
bad[bad.length >> 1] ^= 0x40;
await rejects('corrupted weights', /do not match the model/, () => createModel(dev, model, bad));
await rejects('an input of the wrong type', /must be a Float32Array/, () => m.run({ [inName]: new Float64Array(x.length) }));
await rejects('an input of the wrong length', /has \d+ elements, expected \d+/, () => m.run({ [inName]: x.subarray(1) }));
await rejects('a missing input', /is missing/, () => m.run({}));
const broken = { ...model, kernels: model.kernels.map((k, i) => (i === 1 ? { ...k, code: k.code.replace('fn main', 'fn main(') } : k)) };
await rejects('a kernel whose WGSL does not compile', new RegExp(`kernel ${model.kernels[1].name} .*WGSL error`), () =>
  createModel(dev, broken, weights));
// still usable after those
const r3 = await m.run({ [inName]: x });
check(r3[outName].every((v, i) => v === r1[outName][i]), 'a run after the refusals gives the same output');
m.destroy();

const dev2 = await device();
const m2 = await createModel(dev2, model, weights);
dev2.destroy();
await new Promise((r) => setTimeout(r, 50));
await rejects('a run after the device is destroyed', /device was lost/, () => m2.run({ [inName]: x }));

dev.destroy();
console.log(failures ? `runtime.mjs: ${failures} failed` : 'runtime.mjs: all passed');
process.exit(failures ? 1 : 0);
