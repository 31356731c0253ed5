//go:build js && wasm

package main

import (
	"fmt"
	"runtime"
)

// linearPages is the wasm memory.size instruction (edge/linear_wasm.s): the module's
// linear memory in 64 KiB pages. Go's wasm memory only grows, so it is the peak.
func linearPages() int32

// memProbe tracks the peak of the Go heap and the wasm linear memory of this request's
// instance (syumai/workers starts one per request). It is on only with the Worker
// variable DEBUG_MEMORY=true (edge/README.md, "Memory").
type memProbe struct {
	heapInuse, heapSys, sys uint64
}

// sample records the current figures and returns the peaks so far, in bytes.
func (p *memProbe) sample() string {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	p.heapInuse = max(p.heapInuse, m.HeapInuse)
	p.heapSys = max(p.heapSys, m.HeapSys)
	p.sys = max(p.sys, m.Sys)
	return fmt.Sprintf("heapInuse=%d heapSys=%d sys=%d linear=%d", p.heapInuse, p.heapSys, p.sys, int64(linearPages())<<16)
}
