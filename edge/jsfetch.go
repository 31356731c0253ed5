//go:build js && wasm

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
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
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, fmt.Errorf("fetch: body: %w", err)
		}
		if len(b) > 0 || req.Method == http.MethodPost || req.Method == http.MethodPut {
			ua := js.Global().Get("Uint8Array").New(len(b))
			js.CopyBytesToJS(ua, b)
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
