// browser.mjs: examples/webgpu-browser in Debian's Chromium, headless, driven
// by playwright-core (never a downloaded browser). Run by browser.sh.
//   node browser.mjs URL DIGIT.json OUT_DIR
// DIGIT.json: {"pixels": [64 intensities 0..1], "label": n}. Draws the digit
// with the mouse (a stroke through every run of cells at 7/16 or more in a row,
// a dab on single cells), waits for the page's classification, saves
// OUT_DIR/webgpu-browser.png and writes OUT_DIR/page.json (features,
// probabilities, class) and OUT_DIR/features.npy for the C comparison.
// Exit 0, 1 on a page error, 77 when Chromium or WebGPU is missing.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [url, digitFile, out] = process.argv.slice(2);
const mods = process.env.MLGEN_NODE_MODULES;
const { chromium } = await import(pathToFileURL(path.join(mods, 'playwright-core', 'index.mjs')).href);
const exe = process.env.MLGEN_CHROMIUM || '/usr/bin/chromium';
if (!fs.existsSync(exe)) {
  console.error(`browser.mjs: no ${exe} (install Debian's chromium)`);
  process.exit(77);
}
const profile = fs.mkdtempSync(path.join(out, 'profile-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: exe,
  headless: true,
  viewport: { width: 900, height: 520 },
  args: ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
const page = browser.pages()[0] || (await browser.newPage());
const logs = [];
page.on('console', (m) => logs.push(`console.${m.type()}: ${m.text()}`));
page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
await page.goto(url);
await page.waitForFunction(() => window.mlgen && (window.mlgen.ready || window.mlgen.error), null, { timeout: 60000 });
const err = await page.evaluate(() => window.mlgen.error);
if (err) {
  console.error(`browser.mjs: the page failed: ${err}\n${logs.join('\n')}`);
  await browser.close();
  process.exit(/WebGPU|adapter/.test(err) ? 77 : 1);
}

const { pixels, label } = JSON.parse(fs.readFileSync(digitFile, 'utf8'));
const box = await page.locator('#pad').boundingBox();
const cell = box.width / 8, at = (r, c) => [box.x + (c + 0.5) * cell, box.y + (r + 0.5) * cell];
for (let r = 0; r < 8; r++) {
  for (let c = 0; c < 8; c++) {
    if (pixels[r * 8 + c] < 7 / 16) continue;
    let e = c;
    while (e + 1 < 8 && pixels[r * 8 + e + 1] >= 7 / 16) e++;
    const [x0, y0] = at(r, c), [x1] = at(r, e);
    await page.mouse.move(x0, y0);
    await page.mouse.down();
    for (let s = 1; s <= 8; s++) await page.mouse.move(x0 + ((x1 - x0) * s) / 8, y0);
    await page.mouse.up();
    c = e;
  }
}
await page.click('#classify');
try {
  await page.waitForFunction(() => window.mlgen.last && window.mlgen.last.features.some((v) => v > 0), null, { timeout: 20000 });
} catch (e) {
  await page.screenshot({ path: path.join(out, 'webgpu-browser.png') });
  console.error(`browser.mjs: no classification of the drawing: ${e.message}\n${logs.join('\n')}`);
  console.error(JSON.stringify(await page.evaluate(() => window.mlgen)));
  await browser.close();
  process.exit(1);
}
const last = await page.evaluate(() => window.mlgen.last);
await page.screenshot({ path: path.join(out, 'webgpu-browser.png') });
const status = await page.locator('#status').textContent();
await browser.close();
fs.rmSync(profile, { recursive: true, force: true });

// features as a float32 .npy of shape (1, 64)
let hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 64), }";
hdr += ' '.repeat(Math.ceil((10 + hdr.length + 1) / 64) * 64 - 10 - hdr.length - 1) + '\n';
const head = Buffer.alloc(10);
Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
head.writeUInt16LE(hdr.length, 8);
fs.writeFileSync(path.join(out, 'features.npy'),
  Buffer.concat([head, Buffer.from(hdr, 'latin1'), Buffer.from(new Float32Array(last.features).buffer)]));
fs.writeFileSync(path.join(out, 'page.json'), JSON.stringify({ ...last, label, status }, null, 1));
console.log(`page: ${status}`);
console.log(`drew the held-out digit ${label}; the page says ${last.cls}; probabilities ${last.probs.map((p) => p.toFixed(4)).join(' ')}`);
