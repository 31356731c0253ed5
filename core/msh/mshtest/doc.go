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
