// Package xmlenc implements XML Encryption Syntax and Processing Version 1.1 (W3C
// Recommendation 11 April 2013, "XML Encryption 1.1" below) as Brevduva needs it:
//
//   - block encryption (§5.2): AES-GCM (§5.2.4) and AES-CBC (§5.2.2) — Encrypt, Decrypt,
//     NewCBCEncrypter, NewCBCDecrypter and DecryptFrom for large parts;
//   - key transport (§5.5): RSA-OAEP in its 1.0 form rsa-oaep-mgf1p and its 1.1 form
//     rsa-oaep with an explicit MGF (§5.5.2) — KeyTransport;
//   - symmetric key wrap (§5.6.3): AES key wrap, RFC 3394 — KeyWrap, KeyUnwrap;
//   - key agreement (§5.4) with X25519 (RFC 9231 §2.6.7) or ECDH-ES (§5.4.1), key
//     derivation by HKDF (RFC 9231 §2.8.2, RFC 5869), as eDelivery AS4 2.0 requires
//     (shared/design/spec-facts.md §g) — KeyAgreement;
//   - the xenc:EncryptedKey and xenc:EncryptedData elements (§3.4, §3.5) with their
//     EncryptionMethod, ds:KeyInfo, AgreementMethod and CipherData — EncryptedKey,
//     EncryptedData, Element, ParseEncryptedKey, ParseEncryptedData;
//   - element encryption (§4.2, Type=#Element), used by DIGG's O2O layer to replace the
//     SDK messagePayload (spec-facts.md §a) — EncryptElement, DecryptElement.
//
// Parsers resolve names by namespace URI (core/xmlsafe), accept only the algorithms
// listed here, decode base64 strictly and cap sizes. Decryption failures that could
// serve as an oracle (padding, authentication tag, OAEP, key unwrap) all return
// ErrDecrypt and nothing more specific.
package xmlenc
