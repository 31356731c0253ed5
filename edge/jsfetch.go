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
	"syscall/js"
	"time"
)

// jsFetch is front.Doer over workerd's global fetch. Unlike syumai/workers' fetch it sends
// the body as one Uint8Array, so it has a Content-Length (S3 UploadPart needs one), and it
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
	if req.Body != nil && req.Body != http.NoBody {
		ua, err := copyBodyToJS(req.Body, req.ContentLength)
		if err != nil {
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
	res, err := await(js.Global().Get("fetch").Invoke(req.URL.String(), init))
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

// copyBodyToJS copies body, of exactly n bytes (front sets ContentLength on everything it
// sends), into a new Uint8Array through one 64 KiB Go buffer: no Go copy of a 5 MiB part.
// The Uint8Array is referenced only by the fetch that sends it, so V8 frees it afterwards.
func copyBodyToJS(body io.Reader, n int64) (js.Value, error) {
	if n < 0 {
		return js.Value{}, errors.New("no Content-Length")
	}
	if n > gcBefore {
		releaseJSRefs()
	}
	ua := js.Global().Get("Uint8Array").New(n)
	buf := make([]byte, min(n, copyChunk))
	for off := int64(0); off < n; {
		k, err := io.ReadFull(body, buf[:min(n-off, copyChunk)])
		if err != nil {
			return js.Value{}, fmt.Errorf("%d of %d bytes: %w", off+int64(k), n, err)
		}
		js.CopyBytesToJS(ua.Call("subarray", off, off+int64(k)), buf[:k])
		off += int64(k)
	}
	return ua, nil
}

// gcBefore is the body size from which copyBodyToJS first releases earlier JS values.
const gcBefore = 1 << 20

// releaseJSRefs collects Go's garbage so syscall/js's cleanups drop the JS values the Go
// side no longer references (the previous part's Uint8Array, stream chunks): a js.Value
// keeps its JS object alive until Go's collector has run, and the front door allocates
// too little in Go for it to run by itself, so without this V8 holds every part.
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
