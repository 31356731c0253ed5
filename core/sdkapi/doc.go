// Package sdkapi implements DIGG's SDK API MT/MK (Rekommendation API MT-MK B1.4.2 and
// `diggsweden/sdk-docs: API/sdk-api-restful.yml`, API 1.0.0; spec-facts §i): the
// JSON:API message model, its mapping to the SDK message v3 (core/sdkmsg), and an
// http.Handler over a small Service that the access point engine backs.
//
// Operations (paths relative to the API base, e.g. https://host/sdk-api/v1):
//
//	sendMessage         POST   /sdk/messages                 urn:sdk.api:sendMessage (or …:sendMessages)  201
//	getMessageByFilter  GET    /sdk/messages?filter[…]=…     urn:sdk.api:getMessageByFilter               200
//	getMessageById      GET    /sdk/messages/{messageId}     urn:sdk.api:getMessage                       200/404
//	deleteMessageById   DELETE /sdk/messages/{messageId}     urn:sdk.api:deleteMessage                    202
//
// Every request needs an OAuth 2.0 bearer token (core/oauth); the token's tenant is
// the only tenant a request can read, send as or delete for. Errors are RFC 7807
// problem+json documents with DIGG's eventIssues.
//
// # Choices where DIGG's text is silent (Brevduva's, ⚠U)
//
//   - End-to-end mode: a sendMessage whose attributes hold `sealedXhe` (the base64 of an
//     XHE the client already O2O-signed and encrypted, e.g. the browser) is forwarded
//     as is; no other content attribute may accompany it. Without it the attributes are
//     the SDK message, which the access point seals with the tenant's O2O key.
//   - The MT fills messageId and conversationId (UUIDs) and creationDateTime when the
//     client leaves them out. `sender` must be the tenant's own participant id.
//   - getMessageById of a sent message returns the header attributes, status and
//     events; digitalDocument is not kept in the outbox and is omitted.
//   - `events` items are {"messageStatus","dateTime","reason"}.
//   - Paging: `page[size]` and `page[cursor]`, the next page in `links.next`.
//   - getMessageByFilter supports filter[messageStatus] and
//     filter[recipientAttention.subOrganization.extension]; the other filters DIGG
//     lists (creationDateTime, senderAttention.subOrganization.extension) and unknown
//     parameters are a 400 with an eventIssue naming the parameter.
//
// # Brevduva extension: the inbox
//
// DIGG's API covers the outbox only. The messages the MT delivered to the tenant's
// function addresses are read with (scope urn:brevduva:api:mailbox):
//
//	GET  /sdk/mailboxes/{functionAddress}/messages                   list, delivery order
//	GET  /sdk/mailboxes/{functionAddress}/messages/{messageId}       one message, the
//	     SDK message as JSON:API attributes (digitalDocument included) or, with
//	     Accept: text/xml, the delivered SDK message (or sealed XHE) byte for byte
//	POST /sdk/mailboxes/{functionAddress}/messages/{messageId}/read  mark read
//
// A token limited to some function addresses (a case worker's: core/oauth claim "fas",
// or the configured claim of an OpenID provider, core/oidc) opens only their mailboxes;
// others answer 403.
//
// # Browsers
//
// Credentials are the Authorization header only (RFC 6750 §2.1), never a cookie, and no
// answer sets one (no CSRF). CORS headers go to Options.AllowedOrigins only; a foreign
// origin's preflight is refused and credentials mode is never allowed (cors.go).
//
// # Brevduva extension: the remote signer
//
// POST /sdk/signatures (scope urn:brevduva:api:sign) signs the SignedInfo digest of an XHE
// the client sealed itself with the tenant's O2O key; see sign.go.
package sdkapi
