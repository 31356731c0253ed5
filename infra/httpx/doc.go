// Package httpx is the HTTP adapter of the access point (core/msh): the AS4 transport
// client that posts to a peer AP over mutual TLS, the AS4 server handler that hands an
// inbound exchange to the engine and writes its synchronous answer, and the TLS
// configurations of both sides.
//
// DIGG's transport is HTTPS with mutual TLS over the internet, trust = the
// environment's SITHS chain (spec-facts §j, `sdk-docs: stöd-och-exempel/Domibus/readme.md`).
// The versions and suites are not published; Brevduva uses TLS 1.2 or later with
// ECDHE key exchange only (⚠U spec-facts §k 20: MinVersion and CipherSuites), which a
// deployment may narrow (TLSPolicy: TLS 1.3 only, fewer suites; AS4_CP_TA39) but not weaken. The
// body cap of the AS4 endpoint is the PMode's MaxMessageBytes (⚠U spec-facts §k 19).
package httpx
