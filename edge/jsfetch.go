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
// the body through a FixedLengthStream, so it has a Content-Length (S3 UploadPart needs
// one) and workerd holds no copy of a whole part (see sendBody), and it
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
	var stream js.Value // FixedLengthStream of the body, if any
	if req.Body != nil && req.Body != http.NoBody {
		if req.ContentLength < 0 {
			return nil, errors.New("fetch: body without Content-Length") // front sets it on all it sends
		}
		if req.ContentLength > gcBefore {
			releaseJSRefs()
		}
		stream = js.Global().Get("FixedLengthStream").New(req.ContentLength)
		init.Set("body", stream.Get("readable"))
	}
	if d, ok := req.Context().Deadline(); ok {
		ms := max(time.Until(d).Milliseconds(), 1)
		init.Set("signal", js.Global().Get("AbortSignal").Call("timeout", ms))
	}
	// Invoke, not Call: js.Global() is syumai's proxy of globalThis, an illegal `this` for fetch.
	pending := js.Global().Get("fetch").Invoke(req.URL.String(), init)
	if !stream.IsUndefined() {
		if err := sendBody(stream.Get("writable"), req.Body, req.ContentLength); err != nil {
			// A failed write is the fetch failing (refused, timed out) or the body; the fetch
			// rejects either way, and its reason says more.
			if _, ferr := await(pending); ferr != nil {
				err = ferr
			}
			return nil, fetchError(req, err)
		}
	}
	res, err := await(pending)
	if err != nil {
		return nil, fetchError(req, err)
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

// fetchError wraps a failed fetch; a timeout is context.DeadlineExceeded.
func fetchError(req *http.Request, err error) error {
	// AbortSignal.timeout rejects with a TimeoutError, often before Go's own timer fires.
	if req.Context().Err() != nil || strings.HasPrefix(err.Error(), "TimeoutError") {
		return fmt.Errorf("fetch %s: %w (%v)", req.URL.Host, context.DeadlineExceeded, err)
	}
	return fmt.Errorf("fetch %s: %w", req.URL.Host, err)
}

// copyChunk is the size of the pieces an outgoing body is written in.
const copyChunk = 64 << 10

// sendBody writes body, of exactly n bytes, to the fetch's FixedLengthStream (workerd's
// TransformStream with a known length) in 64 KiB Uint8Arrays, each write waiting until the
// fetch took the previous one: neither the Go side nor workerd holds more than a few
// pieces of a 5 MiB part. Measured in make test-worker: a whole-part Uint8Array body kept
// workerd's RSS about 20 MiB higher for a 37 MiB message (edge/README.md, Memory).
func sendBody(w js.Value, body io.Reader, n int64) error {
	wr := w.Call("getWriter")
	buf := make([]byte, min(n, copyChunk))
	for off := int64(0); off < n; {
		k, err := io.ReadFull(body, buf[:min(n-off, copyChunk)])
		if err != nil {
			wr.Call("abort", err.Error())
			return fmt.Errorf("body: %d of %d bytes: %w", off+int64(k), n, err)
		}
		ua := js.Global().Get("Uint8Array").New(k)
		js.CopyBytesToJS(ua, buf[:k])
		if _, err := await(wr.Call("write", ua)); err != nil {
			return fmt.Errorf("body: %w", err)
		}
		off += int64(k)
	}
	_, err := await(wr.Call("close"))
	return err
}

// gcBefore is the body size from which Do first releases earlier JS values.
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
