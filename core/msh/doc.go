// Package msh implements the storage and state side of an ebMS 3.0 Message Service Handler:
// the reception awareness (retries) and duplicate detection of the OASIS AS4 Profile of ebMS
// 3.0, as the eDelivery AS4 1.15 Common Profile requires them (spec-facts §g), and the
// outbound message statuses of DIGG's SDK API MT/MK (messageStatus, spec-facts §i). It declares the ports the access point engine
// uses — InboundStore and OutboxStore (together MessageStore), PayloadStore, DuplicateGuard,
// OutboundQueue, Mailbox and Clock — the outbox state machine (Transitions, Transition) and
// the PMode reception-awareness retry schedule (ParseRetry, "12;4;CONSTANT").
//
// # Contracts common to every port
//
//   - Every key is tenant-scoped: a request carries a Tenant, and nothing written under one
//     tenant is readable, listable, leasable or changeable under another. Tenant ids and
//     record ids are checked by ValidateTenant and ValidateID (ErrInvalid).
//   - Lookups return ErrNotFound (wrapped) and never (zero, nil) for a missing record.
//   - Every write that must be atomic is ONE conditional write on ONE record, so that each
//     port maps onto a store that only has single-item conditional writes (DynamoDB, and
//     dynalite in tests, which lacks TransactWriteItems; S3 If-None-Match). Derived indexes
//     (due times, delivery order, expiry) are the adapter's business and may lag; a record
//     is the truth.
//   - Records are small: each Validate method caps a record at MaxRecordBytes (ErrTooLarge),
//     well below DynamoDB's 400 KB item limit. Large content goes to the PayloadStore.
//   - Time comes from a Clock given to the adapter; core code never reads the wall clock.
//
// # Access patterns (the later DynamoDB/S3/SQS design)
//
//	port            operation        key                              one conditional write
//	InboundStore    PutInbound       T#{tenant}#IN#{messageId}        attribute_not_exists(pk)
//	                GetInbound       same                             (read)
//	OutboxStore     CreateOutbound   T#{tenant}#OUT#{messageId}       attribute_not_exists(pk)
//	                SwapOutbound     same                             version = :expected
//	DuplicateGuard  Register         T#{tenant}#DUP#{messageId}       attribute_not_exists(pk) OR expires <= :now
//	                                                                  (TTL attribute = expires; TTL deletion is lazy, the
//	                                                                   condition makes expiry exact)
//	Mailbox         Deliver          pk T#{tenant}#MB#{address}, sk M#{messageId}   attribute_not_exists(sk)
//	                ListMail         Query pk, ordered by delivery (LSI deliveredAt#messageId), cursor = last key
//	                MarkRead         same item                        attribute_exists(sk); first ReadAt wins
//	OutboundQueue   Enqueue/Lease/   one queue per tenant (SQS: DelaySeconds, VisibilityTimeout,
//	                Ack/Nack         ChangeMessageVisibility, redrive to a DLQ after MaxAttempts receives);
//	                                 or one item per entry with visibleAt + lease token, each step
//	                                 a conditional update on the item's version
//	PayloadStore    PutPayload       {tenant}/{sha256(name)}          S3 PutObject If-None-Match: *; multipart
//	                                                                  upload completes atomically
//	                OpenPayload      same                             (GetObject, streamed)
//
// Nothing needs a scan: every read is by key or a Query on one partition.
//
// # The receive path
//
// The engine registers the AS4 MessageId with the DuplicateGuard, stores the payloads, then
// PutInbound (with the receipt it is about to return) and only then answers with the
// receipt. A guard hit whose GetInbound is ErrNotFound means an earlier attempt crashed
// before it stored anything and sent no receipt: process the message again. A PutInbound
// ErrDuplicate means another attempt won: answer with the stored receipt.
//
// Name payloads per attempt (MessageId plus a random attempt id), not per MessageId alone:
// a crashed attempt may have stored payloads without a record, and the retry's payloads
// must not collide with them; such orphans are found by a retention sweep, never read.
// The delivery work follows the send path's ordering rule below: enqueue "deliver X"
// before PutInbound. The worker's Mailbox.Deliver is put-if-absent, so a repeated delivery
// is ErrDuplicate and counts as done.
//
// # The send path
//
// Enqueue the work item (ID = MessageId, NotBefore = now) before CreateOutbound, so that no
// crash can leave a record that nothing will ever work on (the ports have no "list stuck
// records" query). A worker may then lease the item before the record exists: while the
// item is younger than a grace period (longer than any request), it Nacks with a short
// delay; after that it Acks and drops the item (the writer died before writing; its
// client got no answer). A worker that leases an item whose message is SUBMITTED is looking
// at a crashed attempt: SUBMITTED → SCHEDULED_FOR_RESEND → SUBMITTED, counting the attempt.
// After a failed attempt RetryPolicy.AfterFailure gives the next state and time (Nack with
// that delay); the queue's own MaxAttempts is only the poison-message backstop and must
// exceed the PMode retries plus the grace-period nacks.
//
// # The engine
//
// Engine (engine.go) is the access point on these ports: Receive (C3, the receive path
// below), Submit and the send worker (the send path below; reception awareness with the
// PMode retry schedule, AS4 Profile §3.2, and NRR receipts checked against what was sent,
// §5.1.8), and the MT's delivery worker (C4: [CONTENT] §5.3 checks, the mailbox of the
// XHE HandlingServiceID, the Meddelandekvittens of spec-facts §d on the receipt leg). One
// queue per tenant carries both kinds of work, "send:{messageId}" and
// "deliver:{messageId}"; every step is idempotent, so a crash anywhere is repaired by the
// item coming back. core/msh/enginetest runs two engines against each other.
package msh
