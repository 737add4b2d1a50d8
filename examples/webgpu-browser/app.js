// app.js: the digits model (examples/digits) classifying what is drawn on the
// canvas, on WebGPU, through runtime-min/webgpu. The model folder ./model/ is
// what `mlgen build examples/digits/digits.yaml --backend webgpu -o model`
// writes under webgpu/ (see README.md).
//
// The model takes 8x8 intensities in sixteenths from 0 to 1 (scikit-learn's
// digits / 16): the 256x256 canvas is averaged over 32x32 blocks. window.mlgen exposes the
// last features, probabilities and class, for tests.
import { createModel } from './model/webgpu/mlgen-webgpu.js';
import { model } from './model/webgpu/digits_webgpu.js';

const pad = document.getElementById('pad');
const ctx = pad.getContext('2d', { willReadFrequently: true });
const status = document.getElementById('status');
const bars = document.getElementById('bars');
const answer = document.getElementById('answer');
const rows = [];
for (let d = 0; d < 10; d++) {
  const label = document.createElement('div');
  label.textContent = d;
  const bar = document.createElement('div');
  bar.className = 'bar';
  const pct = document.createElement('div');
  bars.append(label, bar, pct);
  rows.push({ bar, pct });
}
window.mlgen = { ready: false, error: null, last: null };

function clear() {
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, pad.width, pad.height);
}

function features() {
  const img = ctx.getImageData(0, 0, pad.width, pad.height).data;
  const x = new Float32Array(64), cell = pad.width / 8;
  for (let r = 0; r < 8; r++)
    for (let c = 0; c < 8; c++) {
      let sum = 0;
      for (let y = r * cell; y < (r + 1) * cell; y++)
        for (let xx = c * cell; xx < (c + 1) * cell; xx++) sum += img[(y * pad.width + xx) * 4];
      x[r * 8 + c] = Math.round((sum / (cell * cell) / 255) * 16) / 16;
    }
  return x;
}

let net = null;
async function classify() {
  if (!net) return;
  const x = features();
  const { probs } = await net.run({ x });
  let best = 0;
  for (let d = 1; d < 10; d++) if (probs[d] > probs[best]) best = d;
  rows.forEach(({ bar, pct }, d) => {
    bar.style.width = `${(probs[d] * 100).toFixed(1)}%`;
    bar.classList.toggle('best', d === best);
    pct.textContent = `${(probs[d] * 100).toFixed(1)}%`;
  });
  answer.textContent = `${best}`;
  window.mlgen.last = { features: Array.from(x), probs: Array.from(probs), cls: best };
}

let drawing = false;
function pen(ev) {
  const r = pad.getBoundingClientRect();
  return [ev.clientX - r.left, ev.clientY - r.top];
}
pad.addEventListener('pointerdown', (ev) => {
  drawing = true;
  const [x, y] = pen(ev);
  ctx.beginPath();
  ctx.moveTo(x, y);
  ctx.lineTo(x + 0.1, y);
  ctx.stroke();
});
pad.addEventListener('pointermove', (ev) => {
  if (!drawing) return;
  const [x, y] = pen(ev);
  ctx.lineTo(x, y);
  ctx.stroke();
});
window.addEventListener('pointerup', () => {
  if (drawing) classify();
  drawing = false;
});
document.getElementById('clear').onclick = () => { clear(); classify(); };
document.getElementById('classify').onclick = classify;

async function start() {
  clear();
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = 26;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  if (!navigator.gpu) throw new Error('this browser has no WebGPU (navigator.gpu is missing)');
  const adapter = (await navigator.gpu.requestAdapter()) ||
    (await navigator.gpu.requestAdapter({ featureLevel: 'compatibility' }));
  if (!adapter) throw new Error('no WebGPU adapter');
  const device = await adapter.requestDevice();
  const weights = await (await fetch(`./model/webgpu/${model.weightsFile}`)).arrayBuffer();
  net = await createModel(device, model, weights);
  status.textContent = `WebGPU ready: ${model.kernels.length} kernels, ${model.weightsBytes} bytes of weights` +
    (adapter.info && adapter.info.description ? ` (${adapter.info.description})` : '');
  await classify();
  window.mlgen.ready = true;
}
start().catch((e) => {
  status.textContent = `error: ${e.message}`;
  window.mlgen.error = e.message;
});
