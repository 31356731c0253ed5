// Package dynamo holds the Amazon DynamoDB adapters of the core/msh ports: Messages
// (msh.InboundStore and msh.OutboxStore), Guard (msh.DuplicateGuard), Mailbox
// (msh.Mailbox) and Queue (msh.OutboundQueue, msh.DeadLetters). They share one table
// (CreateTableInput) and take a ready client and the table name; they never load
// configuration.
//
// Every atomic step of a port is ONE conditional write on ONE item, as core/msh requires,
// so no step needs DynamoDB transactions (dynalite, the emulator the tests run against,
// has no TransactWriteItems). Reads are strongly consistent; lists are Queries on one partition
// (a local secondary index where an order other than the sort key is needed); nothing
// scans.
//
//	port / op          pk                          sk            write (condition)
//	PutInbound         T#{t}#IN#{messageId}        #             Put (attribute_not_exists(pk))
//	CreateOutbound     T#{t}#OUT#{messageId}       #             Put ver=1 (attribute_not_exists(pk))
//	SwapOutbound       same                        #             Put ver=e+1 (ver = :e); on failure a
//	                                                             consistent Get tells NotFound from Conflict
//	Register           T#{t}#DUP#{messageId}       #             Put exp, ttl (attribute_not_exists(pk) OR exp <= :now)
//	Deliver            T#{t}#MB#{address}          SEQ           Update ADD n 1 (the delivery counter)
//	                   same                        M#{messageId} Put ord=n (attribute_not_exists(pk))
//	ListMail           Query LSI "ord" pk, ord > cursor, consistent
//	MarkRead           same                        M#{messageId} Update SET readAt = if_not_exists(readAt, :at)
//	                                                             (attribute_exists(pk))
//	Enqueue            T#{t}#Q                     I#{id}        Put att=0, ver=1, due (attribute_not_exists(pk))
//	Lease              Query LSI "due" pk, due <= now, consistent; then Update att+1, ver+1, tok, due=until (ver = :read)
//	Ack                same                        I#{id}        Delete (tok = :tok)
//	Nack               same                        I#{id}        Update due, ver+1, REMOVE tok (tok = :tok)
//	dead-letter        same → T#{t}#QD             D#{deadAt}#{gen}  mark (ver = :read), Put copy, Delete (st = dead AND gen = :gen)
//	ListDead           Query T#{t}#QD, sk > cursor, consistent
//
// Tenants cannot contain '#' (msh.ValidateTenant) and every key puts a fixed tag after the
// tenant, so no tenant's key is a prefix of another's record. Records are JSON of private
// structs (records.go) in the "doc" attribute; attributes a condition reads (ver, exp, tok,
// due, st, gen) sit beside it. Times that conditions compare are unix nanoseconds (exp) or
// 16 hex digits that sort like the time (due); they come from the Clock given to the
// adapter, never from DynamoDB or the wall clock.
//
// The table has TTL on "ttl" (guard items; deletion is lazy, the condition makes expiry
// exact), which Terraform enables; dynalite has no TTL API. docs/design/aws.md has the
// whole AWS design.
package dynamo
