// Package faults is the fault-injection suite of issue 9 ("Faults"): it runs the local
// system (internal/localsys: two tenants, each an access point engine of core/msh on the
// embedded stores of infra/local, with real AS4 over HTTPS and mutual TLS between them),
// strikes at one port call of one engine, and proves afterwards, from the stores, that
// nothing was lost or duplicated.
//
// Two kinds of fault:
//
//   - kill -9: the test binary re-executes itself as the local system; at the chosen
//     port call the child prints a line and stops, the parent sends SIGKILL, then starts
//     the child again on the same data folder and lets it run until every message is
//     finished. The clients of the killed process retry what got no answer.
//   - storage errors: the port call fails, before it reached the adapter (nothing
//     written) or after it returned (written, but the engine never learns it, as with a
//     lost answer). The engine must surface the error and retry.
//
// The ports are every method of every interface the engine is given (core/msh:
// MessageStore, PayloadStore, DuplicateGuard, OutboundQueue, Mailbox and their optional
// abilities, Transport and Discoverer); a test parses core/msh and fails when a port or a
// port method appears that the injector does not cover.
//
// The checker (Check) reads the stores after the run: every submitted message is finished
// (ACCEPTED, REJECTED or MESSAGE_EXCHANGE_ERROR; with transient faults it must be
// ACCEPTED, once), every message the receiving AP accepted is stored, it is in its
// mailbox exactly once with the very bytes that were submitted, the Meddelandekvittens
// went back and was stored, and nothing is dead-lettered. Results: docs/design/faults.md.
package faults
