// Package conformance runs the EC eDelivery AS4 conformance test assertions (AS4
// Conformance Testing — Test Assertions, TAD v1.2; the table is in
// shared/design/spec-facts.md §h) against a real Brevduva access point.
//
// Each test is named after its assertion (TestAS4_CP_TA10_DuplicateElimination) and
// drives the local system (internal/localsys: two tenants, each with an AS4 endpoint
// over HTTPS with mutual TLS) as the system under test: as the receiving MSH (Kommun B's
// AP, sent to by a test driver holding Kommun A's AP keys) and as the sending MSH
// (Kommun A's AP, whose outgoing AS4 messages the test records). docs/conformance.md
// maps every assertion to its test and status, and says why an assertion does not apply.
//
// The package has no code of its own outside its tests.
package conformance
