// Drives web/index.html in headless Chromium (Debian's chromium, playwright-core) and holds what
// it generates to the native `gan-wgpu generate` output for the same weights and seed.
// Usage: node web/test/browser.js <path of the gan-wgpu binary>. Run by tests/browser.rs.
"use strict";

const assert = require("assert");
const fs = require("fs");
const http = require("http");
const os = require("os");
const path = require("path");
const vm = require("vm");
const { execFileSync } = require("child_process");
const { chromium } = require("playwright-core");

const WEB = path.resolve(__dirname, "..");
const SEED = 5;
const TOLERANCE = 1e-3;
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

function defaultWeights() {
  const context = {};
  vm.runInNewContext(fs.readFileSync(path.join(WEB, "pkg/weights.js"), "utf8"), context);
  return Buffer.from(context.GAN_WGPU_DEFAULT_WEIGHTS.base64, "base64");
}

// A .npy file of float32 values (format 1.0, as `generate` writes it).
function readNpy(file) {
  const bytes = fs.readFileSync(file);
  const headerLength = bytes.readUInt16LE(8);
  const data = bytes.subarray(10 + headerLength);
  return new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
}

function nativeSamples(binary, weights, dir, name = "generator.safetensors") {
  const file = path.join(dir, name);
  fs.writeFileSync(file, weights);
  const npy = path.join(dir, `${name}.npy`);
  execFileSync(binary, ["generate", "--weights", file, "--seed", String(SEED), "--count", "100",
    "--out", path.join(dir, "native.png"), "--npy", npy], { stdio: "inherit" });
  return readNpy(npy);
}

function maxDifference(a, b) {
  assert.strictEqual(a.length, b.length, `${a.length} values, expected ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

function serve(root) {
  const types = { ".html": "text/html", ".js": "text/javascript" };
  const server = http.createServer((request, response) => {
    const file = path.join(root, decodeURIComponent(new URL(request.url, "http://x").pathname));
    if (!file.startsWith(root) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": types[path.extname(file)] || "application/octet-stream" });
    fs.createReadStream(file).pipe(response);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

// A safetensors file whose metadata asks for an absurd generator.
function hostileWeights() {
  const architecture = JSON.stringify({ z_dim: 100000000, pixels: 784, layers: [], noise: { kind: "normal", std: 1 } });
  const header = Buffer.from(JSON.stringify({ __metadata__: { format: "gan-wgpu generator", architecture } }));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([length, header]);
}

async function openPage(browser, url, { withoutWebGpu = false } = {}) {
  const page = await browser.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  if (withoutWebGpu) {
    await page.addInitScript(() => Object.defineProperty(Navigator.prototype, "gpu", { get: () => undefined }));
  }
  const started = Date.now();
  await page.goto(url);
  await page.evaluate(() => window.ganTest.ready);
  page.secondsToFirstDigits = (Date.now() - started) / 1000;
  const error = await page.evaluate(() => window.ganTest.error());
  assert.strictEqual(error, "", `${url}: the page reports "${error}"`);
  assert.deepStrictEqual(problems, [], `${url}: uncaught errors`);
  return page;
}

async function samplesOf(page) {
  return Float32Array.from(await page.evaluate((seed) => window.ganTest.generate(seed), SEED));
}

// The page's speed, printed (never asserted: timings depend on the machine): opening to the first
// digits, a new file of the same architecture to its first grid (and interpolation), and 100 digits.
async function printTimings(page, weights) {
  // The file's bytes reach the page as a Uint8Array, as a dropped file's do, before the clock starts:
  // handed over as an array of numbers, converting and collecting that array took 0.5-0.8 s of the
  // first grid. The page marks "grid drawn" between the grid and the interpolation of each file.
  await page.evaluate((base64) => {
    window.newFileBytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  }, Buffer.from(weights).toString("base64"));
  const newFile = await page.evaluate(async () => {
    const started = performance.now();
    const result = await window.ganTest.loadBytes(window.newFileBytes, "again.safetensors");
    const last = (name) => performance.getEntriesByName(name).at(-1).startTime - started;
    return { loadedMs: last("weights loaded"), gridMs: last("grid drawn"), ms: performance.now() - started, result };
  });
  assert(newFile.result.ok, `loading the weights again failed: ${newFile.result.error}`);
  const grids = await page.evaluate(async (seed) => {
    const times = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await window.ganTest.generate(seed + i);
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b);
  }, SEED);
  const marks = await page.evaluate(() => performance.getEntriesByType("mark").slice(0, 4)
    .map((m) => `${m.name} ${(m.startTime / 1000).toFixed(2)} s`).join(", "));
  console.log(`start-up (from navigation): ${marks}`);
  console.log(`timings: first digits ${page.secondsToFirstDigits.toFixed(2)} s after opening the page; ` +
    `a new file's first grid ${(newFile.gridMs / 1000).toFixed(2)} s (weights loaded ` +
    `${(newFile.loadedMs / 1000).toFixed(2)} s), with its interpolation ` +
    `${(newFile.ms / 1000).toFixed(2)} s; ` +
    `100 digits ${grids[2].toFixed(0)} ms (median of 5)`);
}

async function main() {
  const binary = process.argv[2];
  assert(binary, "usage: node browser.js <gan-wgpu binary>");
  assert(fs.existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (apt install chromium, or set CHROMIUM)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gan-wgpu-browser-"));
  const weights = defaultWeights();
  const native = nativeSamples(binary, weights, dir);

  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--enable-unsafe-webgpu", "--no-sandbox", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  const server = await serve(WEB);
  try {
    const fileUrl = "file://" + path.join(WEB, "index.html");
    const httpUrl = `http://127.0.0.1:${server.address().port}/index.html`;
    for (const url of [fileUrl, httpUrl]) {
      const page = await openPage(browser, url);
      const backend = await page.evaluate(() => window.ganTest.backend());
      assert(backend.startsWith("WebGPU"), `${url}: backend is "${backend}", expected WebGPU`);
      const difference = maxDifference(await samplesOf(page), native);
      assert(difference < TOLERANCE, `${url}: WebGPU differs from native by ${difference}`);
      console.log(`${url}: ${backend}, max |browser - native| = ${difference.toExponential(2)}`);
      if (url === fileUrl) await printTimings(page, weights);
      await page.close();
    }

    // A generator saved by PyTorch itself (no metadata, PyTorch's names and layout), loaded as a
    // dropped file would be.
    const torchFile = path.resolve(WEB, "../../shared/interop/torch_seed_generator.safetensors");
    assert(fs.existsSync(torchFile), `the PyTorch fixture is missing: ${torchFile} (shared/ beside the checkout)`);
    const torchWeights = fs.readFileSync(torchFile);
    const torchNative = nativeSamples(binary, torchWeights, dir, "torch_seed_generator.safetensors");
    const torchPage = await openPage(browser, fileUrl);
    await torchPage.evaluate((bytes) => window.ganTest.loadBytes(bytes, "torch_seed_generator.safetensors"),
      Array.from(torchWeights));
    assert.strictEqual(await torchPage.evaluate(() => window.ganTest.error()), "", "the PyTorch file was refused");
    const torchDifference = maxDifference(await samplesOf(torchPage), torchNative);
    assert(torchDifference < TOLERANCE, `PyTorch's generator: WebGPU differs from native by ${torchDifference}`);
    console.log(`a generator saved by PyTorch: max |browser - native| = ${torchDifference.toExponential(2)}`);
    await torchPage.close();

    const page = await openPage(browser, fileUrl, { withoutWebGpu: true });
    const backend = await page.evaluate(() => window.ganTest.backend());
    assert(backend.startsWith("CPU"), `without WebGPU the backend is "${backend}", expected the CPU`);
    const cpu = await samplesOf(page);
    const difference = maxDifference(cpu, native);
    assert(difference < TOLERANCE, `the CPU fallback differs from native by ${difference}`);
    console.log(`without WebGPU: ${backend}, max |browser - native| = ${difference.toExponential(2)}`);

    // Bad files through the file picker: a clear message, and the page keeps generating.
    const bad = [
      ["corrupt.safetensors", Buffer.from("this is not a safetensors file"), /corrupt\.safetensors.*(not a valid|corrupt)/s],
      ["truncated.safetensors", weights.subarray(0, weights.length >> 1), /truncated\.safetensors/],
      ["hostile.safetensors", hostileWeights(), /hostile\.safetensors.*architecture/s],
    ];
    for (const [name, buffer, expected] of bad) {
      await page.setInputFiles("#file", { name, mimeType: "application/octet-stream", buffer });
      await page.waitForFunction(() => window.ganTest.error() !== "");
      const message = await page.evaluate(() => window.ganTest.error());
      assert(expected.test(message), `${name}: the page says "${message}"`);
      assert.strictEqual(maxDifference(await samplesOf(page), cpu), 0, `${name}: the page stopped generating`);
      console.log(`${name}: "${message.split("\n")[0]}", and the page still generates`);
      await page.evaluate(() => { document.getElementById("error").textContent = ""; });
    }
  } finally {
    server.close();
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
