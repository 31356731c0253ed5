// Copyright: Brevduva. The wasm linear memory's size for edge/memprobe.go.

#include "textflag.h"

// func linearPages() int32
TEXT ·linearPages(SB), NOSPLIT, $0-4
	Get SP
	CurrentMemory
	I32Store ret+0(FP)
	RET
