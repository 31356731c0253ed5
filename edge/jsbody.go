//go:build js && wasm

package main

import (
	"fmt"
	"io"
	"net/http"
	"syscall/js"
)

// jsBody reads a request's ReadableStream chunk by chunk straight into the caller's
// buffer. syumai/workers' own reader copies every chunk into a new Go slice and a
// bytes.Buffer first, which for a 40 MB message is 40 MB of Go garbage; this one
// allocates nothing per chunk, so the Go heap stays at the front door's one part buffer.
type jsBody struct {
	stream js.Value // ReadableStream
	reader js.Value // its default reader, once reading began
	chunk  js.Value // Uint8Array being consumed, undefined when none
	off    int
}

// rawBody is how syumai/workers' request body exposes its ReadableStream.
type rawBody interface{ GetRawJSBody() js.Value }

// streamBody replaces r's body by a jsBody when it is a JS stream not read yet.
func streamBody(r *http.Request) {
	if b, ok := r.Body.(rawBody); ok {
		r.Body = &jsBody{stream: b.GetRawJSBody(), chunk: js.Undefined()}
	}
}

func (b *jsBody) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for b.chunk.IsUndefined() || b.off >= b.chunk.Get("byteLength").Int() {
		if err := b.next(); err != nil {
			return 0, err
		}
	}
	end := min(b.off+len(p), b.chunk.Get("byteLength").Int())
	n := js.CopyBytesToGo(p, b.chunk.Call("subarray", b.off, end))
	b.off += n
	return n, nil
}

// next waits for the stream's next chunk; io.EOF at its end.
func (b *jsBody) next() error {
	if b.reader.IsUndefined() {
		b.reader = b.stream.Call("getReader")
	}
	b.chunk, b.off = js.Undefined(), 0 // drop the consumed chunk before waiting on more
	res, err := await(b.reader.Call("read"))
	if err != nil {
		return fmt.Errorf("request body: %w", err)
	}
	if res.Get("done").Bool() {
		return io.EOF
	}
	b.chunk = res.Get("value")
	return nil
}

func (b *jsBody) Close() error {
	if !b.reader.IsUndefined() {
		b.reader.Call("cancel")
	}
	return nil
}
