// brevduva.js: loads the wasm module (bin/brevduva.wasm) and wraps its {value} | {error}
// results into values and thrown Errors with .code. See wasm/README.md.
let ready;
export function load(base = '/web/') {
  if (!ready) ready = (async () => {
    await new Promise((ok, bad) => {
      const s = document.createElement('script');
      s.src = base + 'wasm_exec.js'; s.onload = ok; s.onerror = () => bad(new Error('wasm_exec.js'));
      document.head.append(s);
    });
    const go = new globalThis.Go();
    const res = await WebAssembly.instantiateStreaming(fetch(base + 'brevduva.wasm'), go.importObject);
    go.run(res.instance);
    const raw = globalThis.brevduvaWasm;
    const api = {};
    for (const name of Object.keys(raw)) {
      const unwrap = (r) => {
        if (r && r.error) { const e = new Error(r.error.message); e.code = r.error.code; throw e; }
        return r.value;
      };
      api[name] = (...args) => {
        const r = raw[name](...args);
        return r instanceof Promise ? r.then(unwrap) : unwrap(r);
      };
    }
    return api;
  })();
  return ready;
}
