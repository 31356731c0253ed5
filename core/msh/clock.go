package msh

import "time"

// Clock is the time source of the engine and the adapters. Core code never reads the wall
// clock itself (STYLE rule 6).
type Clock interface{ Now() time.Time }

// ClockFunc adapts a function such as time.Now to Clock.
type ClockFunc func() time.Time

// Now returns f().
func (f ClockFunc) Now() time.Time { return f() }
