// Package kvittens implements DIGG's Meddelandekvittens (message receipt) v1: a UBL 2.1
// ApplicationResponse profiled as urn:fdc:digg.se:edelivery:messagetype:response:1
// (Meddelandespecifikation Meddelandekvittens v1.1; profile schema Response-2.1.xsd and
// DIGG-AppRes-Business-Rules.scmt, rules R1-APP … R9-APP, implemented natively), and the
// decision table of the content specification B1.3.3 v1.5.2 [CONTENT] §5.3: which event
// at the receiving message service (C4) gives ACCEPTED, which gives REJECTED with which
// orsakskod (SV, BV, SIG) and detail code, and when no receipt is sent at all.
//
// It also holds the verdict vocabulary the other SDK packages report in: Violation and
// the *Rejection error.
package kvittens
