// Package as4 packs and unpacks ebMS 3.0 user messages as the eDelivery AS4
// profiles put them on the wire (eDelivery AS4 1.15, the profile SDK uses, and
// eDelivery AS4 2.0; spec-facts §a, §g, §h): SOAP 1.2 with attachments in MIME
// multipart/related (SwA), each payload gzip-compressed (AS4 Profile §3.1),
// signed with WS-Security 1.1.1 (eb:Messaging by wsu:Id, the SOAP Body and
// every attachment through the SwA Attachment-Content-Signature-Transform) and
// then encrypted attachment by attachment (Attachment-Ciphertext-Transform,
// EncryptedData Type Attachment-Content-Only). Order: compress, sign, encrypt
// (AS4_CP_TA34–TA38).
//
// The algorithms come from the pmode.Profile; nothing here branches on a
// profile name. Unpack reads the SOAP part whole but capped and each
// attachment through core/mime's streaming reader, refuses DTDs and duplicate
// ids (core/xmlsafe), decrypts, verifies every ds:Reference, requires that
// eb:Messaging, the Body and every attachment are signed, checks that the
// eb:Messaging it hands on is the very element that was verified, re-checks the
// profile chosen from the unverified header, decompresses under a size cap and
// validates the signer's chain (core/trust) at an injected time. Every failure
// is an *ebms.Error with the ebMS 3.0 code a peer should be told (§6.7).
//
// Receipts are non-repudiation receipts (AS4 Profile §5.1.8, eDelivery AS4
// 1.15): a signed eb:SignalMessage/eb:Receipt whose
// ebbp:NonRepudiationInformation copies every ds:Reference of the received
// message. VerifyReceipt checks the receipt's signature and that those copies
// equal what was sent.
package as4
