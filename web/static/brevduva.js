// brevduva.js: the page's handle on the wasm module (wasm/README.md). load() starts it in a
// Web Worker (wasm-worker.js), so building, sealing and opening run off the main thread,
// and returns an object with the module's functions; each returns a Promise of the value
// or rejects with an Error whose .code is the module's error code. sealRemote's sign
// callback runs here on the page (it may fetch with the page's token).
const names = ['build', 'validate', 'loadKey', 'loadPKCS12', 'forgetKey', 'recipientCert', 'seal', 'sealRemote', 'open', 'openWithKvittens'];
let ready;
export function load(base = '/web/') {
  if (!ready) ready = Promise.resolve(start(base));
  return ready;
}

function start(base) {
  const worker = new Worker(base + 'wasm-worker.js');
  const calls = new Map();
  let next = 0;
  worker.onmessage = async (ev) => {
    const m = ev.data, c = calls.get(m.id);
    if (!c) return;
    if (m.cb !== undefined) {
      try {
        const sig = await c.sign(...m.args);
        worker.postMessage({ cb: m.cb, value: sig instanceof ArrayBuffer ? new Uint8Array(sig) : sig });
      } catch (e) { worker.postMessage({ cb: m.cb, error: String(e && e.message || e) }); }
      return;
    }
    calls.delete(m.id);
    const r = m.result;
    if (r && r.error) { const e = new Error(r.error.message); e.code = r.error.code; c.reject(e); } else c.resolve(r && r.value);
  };
  worker.onerror = (ev) => {
    const e = new Error('the wasm worker failed: ' + (ev.message || 'load error')); e.code = 'internal';
    for (const c of calls.values()) c.reject(e);
    calls.clear();
  };
  const api = {};
  for (const fn of names) {
    api[fn] = (...args) => new Promise((resolve, reject) => {
      const id = next++;
      const c = { resolve, reject };
      if (fn === 'sealRemote') { c.sign = args[4]; args = args.slice(0, 4); }
      calls.set(id, c);
      worker.postMessage({ id, fn, args });
    });
  }
  return api;
}
