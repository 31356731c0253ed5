// Package mshtest holds the contract test suites of the core/msh ports, which every adapter
// (in-memory, infra/local, infra/aws) runs, a fake clock, and in-memory reference
// implementations of the ports for unit tests of core logic.
//
// Faults wraps any adapter to inject storage errors before or after a call reaches it.
//
// A suite takes an Opener that makes a fresh, empty store for each subtest; if the adapter
// can be closed and opened again on the same storage, the Opener's Instance carries a Reopen
// hook and the suite adds durability checks.
package mshtest

import (
	"sync"
	"time"

	"github.com/brevduva/brevduva/core/msh"
)

// Clock is a manual msh.Clock, safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

var _ msh.Clock = (*Clock)(nil)
