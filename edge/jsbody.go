//go:build js && wasm

package main

import (
	"fmt"
	"io"
	"net/http"
	"syscall/js"
)

// jsBody reads a request's ReadableStream straight into the caller's buffer. syumai/workers'
// own reader copies every chunk into a new Go slice and a bytes.Buffer first, which for a
// 40 MB message is 40 MB of Go garbage; this one allocates nothing in Go per chunk. When
// the stream is a byte stream (workerd's request bodies are) it reads with a BYOB reader
// into one 64 KiB ArrayBuffer that goes back and forth (WHATWG Streams §4.6), so the JS
// side makes no garbage per chunk either.
type jsBody struct {
	stream js.Value // ReadableStream
	reader js.Value // its reader, once reading began
	byob   bool     // reader is a ReadableStreamBYOBReader
	buf    js.Value // byob: the ArrayBuffer to read into next
	chunk  js.Value // Uint8Array being consumed, undefined when none
	off    int
}

// byobChunk is the size of the ArrayBuffer a BYOB reader reads into.
const byobChunk = 64 << 10

// rawBody is how syumai/workers' request body exposes its ReadableStream.
type rawBody interface{ GetRawJSBody() js.Value }

// streamBody replaces r's body by a jsBody when it is a JS stream not read yet.
func streamBody(r *http.Request) {
	if b, ok := r.Body.(rawBody); ok {
		r.Body = &jsBody{stream: b.GetRawJSBody()}
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
		b.open()
	}
	var res js.Value
	var err error
	if b.byob {
		if b.buf.IsUndefined() {
			b.buf = js.Global().Get("ArrayBuffer").New(byobChunk)
		}
		view := js.Global().Get("Uint8Array").New(b.buf, 0, b.buf.Get("byteLength"))
		b.buf = js.Undefined() // transferred to the stream by read
		res, err = await(b.reader.Call("read", view))
	} else {
		res, err = await(b.reader.Call("read"))
	}
	b.chunk, b.off = js.Undefined(), 0
	if err != nil {
		return fmt.Errorf("request body: %w", err)
	}
	v := res.Get("value")
	if b.byob && !v.IsUndefined() {
		b.buf = v.Get("buffer") // given back: the next read reuses it
	}
	if res.Get("done").Bool() {
		return io.EOF
	}
	b.chunk = v
	return nil
}

// open takes a BYOB reader, or the default reader when the stream is not a byte stream
// (getReader then throws a TypeError, which syscall/js raises as a panic).
func (b *jsBody) open() {
	defer func() {
		if recover() != nil {
			b.reader, b.byob = b.stream.Call("getReader"), false
		}
	}()
	opts := js.Global().Get("Object").New()
	opts.Set("mode", "byob")
	b.reader, b.byob = b.stream.Call("getReader", opts), true
}

func (b *jsBody) Close() error {
	if !b.reader.IsUndefined() {
		b.reader.Call("cancel")
	}
	return nil
}
