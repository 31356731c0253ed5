// Package audit is Brevduva's audit trail (spårbarhet): an append-only, tamper-evident log
// of every message event of a tenant — ids, parties, access point PartyIds, certificate
// fingerprints, times, states, ebMS error codes and receipt status — and never message
// content (no subject, body, attachment name or byte).
//
// No SDK document fixes what an access point logs or for how long: DIGG's pages leave it
// unreadable and a vendor claims "12 months searchable, no content" (spec-facts §j,
// "Logging and retention"). The fields and the retention are therefore configuration with
// one default each (⚠U spec-facts §k 25). docs/design/audit.md is the design.
//
// # The chain
//
// Each tenant has its own chain of entries numbered 1, 2, 3 …; an entry's canonical bytes
// (Encode: a fixed-order, length-prefixed binary form) hold its sequence number, the
// SHA-256 of the entry before it, its event and, last, the SHA-256 of everything before.
// Verify walks the chain and names the first sequence number at which it breaks: an entry
// modified, removed, moved or inserted. An attacker who can write the store can still
// rewrite the whole tail of the chain consistently; the head anchors (Anchor, written to
// the log by Log and printed by `brevduva audit verify`) are what detects that.
//
// # Retention
//
// Prune deletes the oldest entries, but first appends a "pruned" entry naming the last
// pruned entry's sequence number and hash, then stores the same Checkpoint beside the
// chain. Verify starts from the checkpoint and requires a pruned entry in the chain that
// names it, so neither the checkpoint nor the pruning can be moved silently.
//
// # Storage
//
// Store is a port of single-record conditional writes (an append is a put-if-absent on
// the next sequence number), so DynamoDB without transactions fits: concurrent appenders
// that read the same head conflict on the sequence number, re-read and retry, and the chain
// never forks. audittest holds an in-memory Store and the contract suite every adapter runs.
package audit
