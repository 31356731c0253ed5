//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"syscall/js"
	"time"
)

// jsFetch is front.Doer over workerd's global fetch. Unlike syumai/workers' fetch it sends
// the body as one Uint8Array, so it has a Content-Length (S3 UploadPart needs one), reusing
// one array for every request (outgoing), and it
// aborts at the request context's deadline (AbortSignal.timeout). Answers are read whole:
// the Worker only fetches small answers (receipts, lookups, S3 XML).
type jsFetch struct{}

func (jsFetch) Do(req *http.Request) (*http.Response, error) {
	init := js.Global().Get("Object").New()
	init.Set("method", req.Method)
	init.Set("redirect", "manual")
	headers := js.Global().Get("Headers").New()
	for k, vs := range req.Header {
		for _, v := range vs {
			headers.Call("append", k, v)
		}
	}
	init.Set("headers", headers)
	unlock := func() {}
	if req.Body != nil && req.Body != http.NoBody {
		outgoing.Lock()
		unlock = outgoing.Unlock
		ua, err := outgoing.fill(req.Body, req.ContentLength)
		if err != nil {
			unlock()
			return nil, fmt.Errorf("fetch: body: %w", err)
		}
		if ua.Get("byteLength").Int() > 0 || req.Method == http.MethodPost || req.Method == http.MethodPut {
			init.Set("body", ua)
		}
	}
	if d, ok := req.Context().Deadline(); ok {
		ms := max(time.Until(d).Milliseconds(), 1)
		init.Set("signal", js.Global().Get("AbortSignal").Call("timeout", ms))
	}
	// Invoke, not Call: js.Global() is syumai's proxy of globalThis, an illegal `this` for fetch.
	pending := js.Global().Get("fetch").Invoke(req.URL.String(), init)
	unlock() // fetch has copied the body: Fetch Standard, "extract a body" of a BufferSource
	res, err := await(pending)
	if err != nil {
		// AbortSignal.timeout rejects with a TimeoutError, often before Go's own timer fires.
		if req.Context().Err() != nil || strings.HasPrefix(err.Error(), "TimeoutError") {
			return nil, fmt.Errorf("fetch %s: %w (%v)", req.URL.Host, context.DeadlineExceeded, err)
		}
		return nil, fmt.Errorf("fetch %s: %w", req.URL.Host, err)
	}
	buf, err := await(res.Call("arrayBuffer"))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: body: %w", req.URL.Host, err)
	}
	body := make([]byte, buf.Get("byteLength").Int())
	js.CopyBytesToGo(body, js.Global().Get("Uint8Array").New(buf))
	h := http.Header{}
	each := js.FuncOf(func(_ js.Value, a []js.Value) any {
		h.Add(a[1].String(), a[0].String())
		return nil
	})
	res.Get("headers").Call("forEach", each)
	each.Release()
	return &http.Response{StatusCode: res.Get("status").Int(), Header: h, ContentLength: int64(len(body)),
		Body: io.NopCloser(bytes.NewReader(body)), Request: req}, nil
}

// copyChunk is the Go buffer a request body passes through on its way into JS.
const copyChunk = 64 << 10

// bodyArray is the one Uint8Array outgoing bodies are copied into, through one 64 KiB Go
// buffer: neither a Go nor a JS copy of a 5 MiB part per request. fetch copies its body
// when called, so the array may be refilled once fetch has returned (the lock spans that).
type bodyArray struct {
	sync.Mutex
	ua  js.Value
	buf []byte
}

var outgoing bodyArray

// fill copies body, of exactly n bytes (front sets ContentLength on everything it sends),
// into the array, growing it if needed, and returns a view of those n bytes.
func (a *bodyArray) fill(body io.Reader, n int64) (js.Value, error) {
	if n < 0 {
		return js.Value{}, errors.New("no Content-Length")
	}
	if n > gcBefore {
		releaseJSRefs()
	}
	if a.ua.IsUndefined() || int64(a.ua.Get("byteLength").Int()) < n {
		a.ua = js.Global().Get("Uint8Array").New(n)
	}
	if a.buf == nil {
		a.buf = make([]byte, copyChunk)
	}
	for off := int64(0); off < n; {
		k, err := io.ReadFull(body, a.buf[:min(n-off, copyChunk)])
		if err != nil {
			return js.Value{}, fmt.Errorf("%d of %d bytes: %w", off+int64(k), n, err)
		}
		js.CopyBytesToJS(a.ua.Call("subarray", off, off+int64(k)), a.buf[:k])
		off += int64(k)
	}
	return a.ua.Call("subarray", 0, n), nil
}

// gcBefore is the body size from which copyBodyToJS first releases earlier JS values.
const gcBefore = 1 << 20

// releaseJSRefs collects Go's garbage so syscall/js's cleanups drop the JS values the Go
// side no longer references (read results, views, promises, callbacks): a js.Value keeps
// its JS object alive until Go's collector has run. Measured in make test-worker: without
// it the wasm linear memory's peak grew by 11 MiB from a 12 MiB to a 37 MiB message
// (the assertion there fails); with it, not at all.
func releaseJSRefs() {
	runtime.GC()
	runtime.Gosched() // let the cleanup goroutine run
}

// await waits for a JS promise.
func await(p js.Value) (js.Value, error) {
	done := make(chan struct{})
	var val js.Value
	var err error
	then := js.FuncOf(func(_ js.Value, a []js.Value) any {
		val = a[0]
		close(done)
		return nil
	})
	catch := js.FuncOf(func(_ js.Value, a []js.Value) any {
		err = errors.New(a[0].Call("toString").String())
		close(done)
		return nil
	})
	defer then.Release()
	defer catch.Release()
	p.Call("then", then, catch)
	<-done
	return val, err
}
