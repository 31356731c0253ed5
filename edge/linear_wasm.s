// linearPages for edge/memprobe.go: the wasm memory.size instruction.

#include "textflag.h"

// func linearPages() int32
TEXT ·linearPages(SB), NOSPLIT, $0-4
	Get SP
	CurrentMemory
	I32Store ret+0(FP)
	RET
