// mlgen-webgpu.js: runtime-min for WebGPU, one dependency-free ES module.
//
// Runs a model that `mlgen build --backend webgpu` wrote (webgpu/<name>_webgpu.js
// and <name>_weights.bin) on a GPUDevice, in a browser or in Node with the
// `webgpu` package; nothing here depends on which.
//
//   const m = await createModel(device, model, weightsBytes);
//   const outputs = await m.run({ x: new Float32Array(...) }); // or [array, ...]
//   m.destroy();
//
// createModel checks the weights (size and FNV-1a hash), the device's limits,
// and every kernel's WGSL (the compiler's messages), and builds one compute
// pipeline per kernel over one bind group: binding 0 the arena, 1 the
// weights, 2 the io buffer (inputs, then outputs). run() writes the inputs,
// records one dispatch per kernel in one compute pass (WebGPU orders a pass's
// dispatches and makes each one's writes visible to the next), copies the
// outputs back and returns them as typed arrays keyed by output name. Runs on
// one model are queued one after another. Every failure (bad inputs, a WGSL
// or validation error, out of memory, a lost device) rejects the promise with
// an Error whose message starts with "mlgen:"; nothing returns zeros silently.

// the typed array of each dtype at the API (f16/bf16: their bits; bool: 0/1 bytes)
export const ARRAYS = {
  f32: Float32Array, f16: Uint16Array, bf16: Uint16Array, i32: Int32Array, u32: Uint32Array,
  i16: Int16Array, u16: Uint16Array, i8: Int8Array, u8: Uint8Array, bool: Uint8Array,
  i64: BigInt64Array, u64: BigUint64Array,
};

function fail(msg) {
  return new Error(`mlgen: ${msg}`);
}

function fnv1a(bytes) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h >>> 0;
}

function asBytes(x) {
  if (x instanceof ArrayBuffer) return new Uint8Array(x);
  if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  throw fail('weights must be an ArrayBuffer or a typed array');
}

// a buffer's size: WebGPU wants a multiple of 4 and mlgen's layout 16 (never 0)
const size16 = (n) => Math.max(16, Math.ceil(n / 16) * 16);

async function scoped(device, what, fn) {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let value, thrown;
  try {
    value = await fn();
  } catch (e) {
    thrown = e;
  }
  const validation = await device.popErrorScope();
  const oom = await device.popErrorScope();
  if (thrown instanceof Error && thrown.message.startsWith('mlgen:')) throw thrown;
  if (oom) throw fail(`${what}: out of GPU memory: ${oom.message}`);
  if (validation) throw fail(`${what}: WebGPU validation error: ${validation.message}`);
  if (thrown) throw thrown instanceof Error && thrown.message.startsWith('mlgen:') ? thrown : fail(`${what}: ${thrown && thrown.message || thrown}`);
  return value;
}

export async function createModel(device, model, weights) {
  if (!device || typeof device.createBuffer !== 'function') throw fail('createModel needs a GPUDevice');
  if (!model || model.format !== 1) throw fail('not a model of mlgen-webgpu format 1');
  let lost = null;
  device.lost.then((info) => { lost = info; });
  const w = asBytes(weights || new Uint8Array(0));
  if (w.byteLength !== model.weightsBytes)
    throw fail(`${model.name}: the weights are ${w.byteLength} bytes, the model expects ${model.weightsBytes} (${model.weightsFile})`);
  if (fnv1a(w) !== model.weightsFnv1a)
    throw fail(`${model.name}: the weights do not match the model (FNV-1a hash differs; ${model.weightsFile})`);
  const lim = device.limits;
  for (const [what, n] of [['arena', model.arenaBytes], ['weights', model.weightsBytes], ['io', model.ioBytes]])
    if (size16(n) > lim.maxStorageBufferBindingSize)
      throw fail(`${model.name}: the ${what} buffer (${n} bytes) exceeds this device's maxStorageBufferBindingSize (${lim.maxStorageBufferBindingSize})`);
  for (const k of model.kernels)
    if (k.wg > lim.maxComputeInvocationsPerWorkgroup || k.wg > lim.maxComputeWorkgroupSizeX)
      throw fail(`${model.name}: kernel ${k.name} uses ${k.wg} threads per workgroup, more than this device allows (${lim.maxComputeInvocationsPerWorkgroup})`);

  const S = GPUBufferUsage;
  const built = await scoped(device, `${model.name}: creating buffers and pipelines`, async () => {
    const arena = device.createBuffer({ size: size16(model.arenaBytes), usage: S.STORAGE });
    const wbuf = device.createBuffer({ size: size16(model.weightsBytes), usage: S.STORAGE | S.COPY_DST });
    const io = device.createBuffer({ size: size16(model.ioBytes), usage: S.STORAGE | S.COPY_DST | S.COPY_SRC });
    const readback = device.createBuffer({ size: size16(model.ioBytes), usage: S.MAP_READ | S.COPY_DST });
    if (w.byteLength) {
      const padded = new Uint8Array(Math.ceil(w.byteLength / 4) * 4);
      padded.set(w);
      device.queue.writeBuffer(wbuf, 0, padded);
    }
    const entry = (binding, type) => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer: { type } });
    const bgl = device.createBindGroupLayout({
      entries: [entry(0, 'storage'), entry(1, 'read-only-storage'), entry(2, 'storage')],
    });
    const layout = device.createPipelineLayout({ bindGroupLayouts: [bgl] });
    const group = device.createBindGroup({
      layout: bgl,
      entries: [0, 1, 2].map((b) => ({ binding: b, resource: { buffer: [arena, wbuf, io][b] } })),
    });
    return { arena, wbuf, io, readback, group, layout };
  });
  built.pipelines = [];
  for (const k of model.kernels) {
    const what = `${model.name}: kernel ${k.name} (${k.origin})`;
    built.pipelines.push(await scoped(device, what, async () => {
      const module = device.createShaderModule({ code: k.code, label: k.name });
      const info = await module.getCompilationInfo();
      const errors = info.messages.filter((m) => m.type === 'error');
      if (errors.length)
        throw fail(`${what}: WGSL error: ` + errors.map((m) => `${m.lineNum}:${m.linePos}: ${m.message}`).join('; '));
      return device.createComputePipelineAsync({ layout: built.layout, compute: { module, entryPoint: 'main' }, label: k.name });
    }));
  }

  const maxGroups = lim.maxComputeWorkgroupsPerDimension;
  const ins = model.inputs, outs = model.outputs;
  const inEnd = ins.reduce((e, t) => Math.max(e, t.offset + t.bytes), 0);
  let queue = Promise.resolve();

  function stage(inputs) {
    const list = Array.isArray(inputs) ? inputs : ins.map((t) => inputs && inputs[t.name]);
    if (list.length !== ins.length) throw fail(`${model.name}: ${list.length} inputs given, the model has ${ins.length}`);
    const bytes = new Uint8Array(Math.ceil(inEnd / 4) * 4);
    ins.forEach((t, i) => {
      let a = list[i];
      const A = ARRAYS[t.dtype];
      if (a === undefined || a === null) throw fail(`${model.name}: input '${t.name}' is missing`);
      if (Array.isArray(a)) a = A.from(a, (x) => (A === BigInt64Array || A === BigUint64Array ? BigInt(x) : x));
      if (!(a instanceof A)) throw fail(`${model.name}: input '${t.name}' must be a ${A.name} (${t.dtype})`);
      if (a.byteLength !== t.bytes)
        throw fail(`${model.name}: input '${t.name}' has ${a.length} elements, expected ${t.bytes / A.BYTES_PER_ELEMENT} (shape [${t.shape}])`);
      bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), t.offset);
    });
    return bytes;
  }

  async function runOnce(inputs) {
    if (lost) throw fail(`${model.name}: the GPU device was lost: ${lost.message || lost.reason}`);
    const bytes = stage(inputs);
    const { io, readback, group, pipelines } = built;
    await scoped(device, `${model.name}: run`, async () => {
      if (bytes.byteLength) device.queue.writeBuffer(io, 0, bytes);
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      pass.setBindGroup(0, group);
      model.kernels.forEach((k, i) => {
        if (!k.items) return;
        const groups = Math.ceil(k.items / k.wg);
        const x = Math.min(groups, maxGroups), y = Math.min(Math.ceil(groups / x), maxGroups);
        pass.setPipeline(pipelines[i]);
        pass.dispatchWorkgroups(x, y);
      });
      pass.end();
      enc.copyBufferToBuffer(io, 0, readback, 0, size16(model.ioBytes));
      device.queue.submit([enc.finish()]);
    });
    const mapped = readback.mapAsync(GPUMapMode.READ);
    const gone = device.lost.then((info) => { throw fail(`${model.name}: the GPU device was lost during a run: ${info.message || info.reason}`); });
    await Promise.race([mapped, gone]);
    const all = new Uint8Array(readback.getMappedRange()).slice();
    readback.unmap();
    const result = {};
    for (const t of outs) {
      const A = ARRAYS[t.dtype];
      result[t.name] = new A(all.buffer.slice(t.offset, t.offset + t.bytes));
    }
    return result;
  }

  return {
    model,
    run(inputs) {
      const r = queue.then(() => runOnce(inputs));
      queue = r.catch(() => {});
      return r;
    },
    destroy() {
      for (const b of [built.arena, built.wbuf, built.io, built.readback]) b.destroy();
    },
  };
}
