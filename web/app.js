// The page: loads the wasm module and the default weights (embedded as base64, since file://
// pages cannot fetch), then draws grids and interpolations. A test hook, window.ganTest, lets
// the browser test read the generated pixels.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const SIDE = 28;
  let generator = null;
  let frames = null;
  let playing = null;

  function decodeBase64(text) {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  function showError(message) {
    $("error").textContent = message;
  }

  // Draws `count` images of `pixels` values from `samples`, `columns` to a row.
  function draw(canvas, samples, first, count, columns) {
    const side = Math.round(Math.sqrt(generator.pixels));
    const rows = Math.ceil(count / columns);
    canvas.width = columns * side;
    canvas.height = rows * side;
    const context = canvas.getContext("2d");
    const image = context.createImageData(canvas.width, canvas.height);
    for (let n = 0; n < count; n++) {
      const x0 = (n % columns) * side, y0 = Math.floor(n / columns) * side;
      for (let p = 0; p < side * side; p++) {
        const v = Math.round(255 * samples[(first + n) * generator.pixels + p]);
        const at = 4 * ((y0 + Math.floor(p / side)) * canvas.width + x0 + (p % side));
        image.data[at] = image.data[at + 1] = image.data[at + 2] = v;
        image.data[at + 3] = 255;
      }
    }
    context.putImageData(image, 0, 0);
  }

  function seedOf(input) {
    const value = Number(input.value);
    if (!Number.isInteger(value) || value < 0 || value > 4294967295) {
      throw new Error(`${input.id}: a seed is a whole number from 0 to 4294967295, not "${input.value}"`);
    }
    return value;
  }

  async function timed(what, run) {
    const started = performance.now();
    const result = await run();
    const ms = performance.now() - started;
    $("status").textContent = `${what} in ${ms.toFixed(1)} ms on ${generator.backend}`;
    return result;
  }

  async function generateGrid(seed) {
    const samples = await timed(`100 samples (seed ${seed})`, () => generator.run(generator.noise(seed)));
    draw($("grid"), samples, 0, 100, 10);
    return samples;
  }

  function showFrame() {
    if (frames) draw($("frame"), frames, Number($("position").value), 1, 1);
  }

  async function interpolate() {
    const from = seedOf($("from")), to = seedOf($("to"));
    frames = await timed(`100 steps from seed ${from} to ${to}`, () => generator.run(generator.interpolation(from, to)));
    const strip = new Float32Array(10 * generator.pixels);
    for (let i = 0; i < 10; i++) {
      strip.set(frames.subarray(i * 11 * generator.pixels, (i * 11 + 1) * generator.pixels), i * generator.pixels);
    }
    draw($("strip"), strip, 0, 10, 10);
    showFrame();
  }

  function togglePlay() {
    if (playing) {
      clearInterval(playing);
      playing = null;
      $("play").textContent = "Play";
      return;
    }
    $("play").textContent = "Stop";
    playing = setInterval(() => {
      const position = $("position");
      position.value = (Number(position.value) + 1) % 100;
      showFrame();
    }, 40);
  }

  // Loads weights; on failure the previous generator stays in use and the error is shown.
  async function load(bytes, name) {
    const query = new URLSearchParams(location.search);
    const useGpu = !query.has("cpu");
    try {
      const loaded = await wasm_bindgen.loadGenerator(bytes, name, useGpu, query.get("kernels") || "");
      performance.mark("weights loaded");
      if (generator) generator.free();
      generator = loaded;
      showError("");
      await generateGrid(seedOf($("seed")));
      performance.mark("grid drawn");
      await interpolate();
      performance.mark("interpolation drawn");
      return { ok: true };
    } catch (e) {
      const message = `Could not use ${name}: ${e && e.message ? e.message : e}`;
      showError(message + (generator ? "\nStill using the previous weights." : ""));
      return { ok: false, error: message };
    }
  }

  async function loadFile(file) {
    if (!file) return;
    if (file.size > 512 * 1024 * 1024) {
      showError(`Could not use ${file.name}: ${file.size} bytes is more than any generator of this project`);
      return;
    }
    await load(new Uint8Array(await file.arrayBuffer()), file.name);
  }

  async function guard(action) {
    try {
      await action();
    } catch (e) {
      showError(e && e.message ? e.message : String(e));
    }
  }

  function wire() {
    $("generate").onclick = () => guard(() => generateGrid(seedOf($("seed"))));
    $("new-grid").onclick = () => guard(() => {
      $("seed").value = Math.floor(Math.random() * 4294967296);
      return generateGrid(seedOf($("seed")));
    });
    $("interpolate").onclick = () => guard(interpolate);
    $("play").onclick = togglePlay;
    $("position").oninput = showFrame;
    $("file").onchange = (e) => guard(() => loadFile(e.target.files[0]));
    const drop = $("drop");
    drop.ondragover = (e) => { e.preventDefault(); drop.classList.add("over"); };
    drop.ondragleave = () => drop.classList.remove("over");
    drop.ondrop = (e) => {
      e.preventDefault();
      drop.classList.remove("over");
      guard(() => loadFile(e.dataTransfer.files[0]));
    };
  }

  // Marks where the start-up's time goes (performance.getEntriesByType("mark"); the test prints them).
  async function start() {
    wire();
    await wasm_bindgen({ module_or_path: decodeBase64(GAN_WGPU_WASM) });
    performance.mark("wasm ready");
    const result = await load(decodeBase64(GAN_WGPU_DEFAULT_WEIGHTS.base64), GAN_WGPU_DEFAULT_WEIGHTS.name);
    if (!result.ok) throw new Error(result.error);
  }

  const ready = start().catch((e) => showError(`The page could not start: ${e && e.message ? e.message : e}`));

  window.ganTest = {
    ready,
    backend: () => generator && generator.backend,
    generate: async (seed) => Array.from(await generator.run(generator.noise(seed))),
    loadBytes: (bytes, name) => load(new Uint8Array(bytes), name),
    error: () => $("error").textContent,
  };
})();
