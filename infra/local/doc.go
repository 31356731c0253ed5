// Package local holds the embedded adapters of the core/msh ports for the local
// all-in-one system (`brevduva serve`, `make run`): records in one go.etcd.io/bbolt file,
// payloads as plain files. No external service; data survives a restart.
//
// # Records (bbolt)
//
// Every port's atomic operation is one bbolt read-write transaction that touches one
// record and, where a port needs an order, that record's index entry in the same tenant
// bucket. Each transaction is fsynced before it returns (bbolt's default), so a nil error
// means the write survives a crash of the process. The layout, one top-level bucket per
// port and one sub-bucket per tenant (so a tenant's keys cannot meet another's):
//
//	inbound/{tenant}/{messageId}               → inbound record
//	outbox/{tenant}/{messageId}                → outbound record (version: compare-and-swap)
//	guard/{tenant}/ids/{messageId}             → expiry
//	guard/{tenant}/exp/{expiry}{messageId}     → ∅            (sweep index)
//	queue/{tenant}/items/{id}                  → item, attempts, visibleAt, leased
//	queue/{tenant}/due/{visibleAt}{id}         → ∅            (lease order; a lease moves it)
//	queue/{tenant}/dead/{seq}                  → dead letter
//	mailbox/{tenant}/{address}/items/{msgId}   → mail item with its delivery sequence
//	mailbox/{tenant}/{address}/order/{seq}     → msgId        (list order, cursor = seq)
//
// Times in index keys are 8-byte big-endian unix nanoseconds with the sign bit flipped, so
// keys sort by time. Values are a two-byte magic, a format version and JSON of a record
// struct private to this package (decodeRecord; fuzzed).
//
// The DynamoDB design follows the same access patterns with one conditional write per
// operation (see core/msh); the index entries become a GSI or LSI maintained by DynamoDB.
//
// # Payloads (files)
//
// Files.PutPayload streams the body into a temporary file in {dir}/tmp, fsyncs it, and
// hard-links it to {dir}/{hex(tenant)}/{sha256(name)[:2]}/{sha256(name)}. link(2) fails
// if the target exists, which makes the put atomic and put-if-absent at once: a reader sees
// no file or the whole file. The directory is fsynced after the link. Tenant and name
// never reach the file system as given (hex and hash), so names such as "../x" are safe and
// case-insensitive file systems cannot merge tenants.
//
// One process owns a data directory: OpenDB takes bbolt's file lock, and NewFiles clears
// leftovers of a crashed put from {dir}/tmp.
package local
