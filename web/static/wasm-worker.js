// wasm-worker.js: runs the wasm module (brevduva.wasm, wasm/README.md) in a Web Worker, so
// sealing and opening never block the page. brevduva.js talks to it:
//   page → worker {id, fn, args}            call globalThis.brevduvaWasm[fn](...args)
//   worker → page {id, result}              the {value} | {error:{code,message}} result
//   worker → page {id, cb, args}            sealRemote's sign(digest, hash): the page signs
//   page → worker {cb, value} | {cb, error} the signature (Uint8Array) or why not
// The organisation key loaded with loadKey/loadPKCS12 lives only in this worker's memory.
importScripts('wasm_exec.js');

const ready = (async () => {
  const go = new globalThis.Go();
  const res = await WebAssembly.instantiateStreaming(fetch('brevduva.wasm'), go.importObject);
  go.run(res.instance);
})();
const waiting = new Map();
let nextCb = 0;

// signVia asks the page to sign for call id (the page holds the token for the server).
const signVia = (id) => (digest, hash) => new Promise((resolve, reject) => {
  const cb = nextCb++;
  waiting.set(cb, { resolve, reject });
  self.postMessage({ id, cb, args: [digest, hash] });
});

self.onmessage = async (ev) => {
  const m = ev.data;
  if (m.cb !== undefined) {
    const w = waiting.get(m.cb); waiting.delete(m.cb);
    if (w) m.error ? w.reject(new Error(m.error)) : w.resolve(m.value);
    return;
  }
  let result;
  try {
    await ready;
    const f = globalThis.brevduvaWasm[m.fn];
    if (!f) throw new Error('no function ' + m.fn);
    if (m.fn === 'sealRemote') m.args[4] = signVia(m.id);
    result = await f(...m.args);
  } catch (e) {
    result = { error: { code: 'internal', message: String(e && e.message || e) } };
  }
  const v = result && result.value;
  self.postMessage({ id: m.id, result }, v instanceof Uint8Array ? [v.buffer] : []);
};
