// Package o2o implements the organisation-to-organisation (O2O) security of SDK's
// "Transportmodell Utökad Bas" (tm-base-ext-sigenc): the SDK message inside the XHE is
// encrypted for the recipient organisation as an xenc:EncryptedData of Type #Element
// (W3C XML Encryption 1.1) that replaces messagePayload, then the whole XHE is signed with
// an enveloped ds:Signature (W3C XMLDSig 1.1), its last child, with one Reference URI=""
// (enveloped-signature, then Canonical XML 1.0). Encrypt first, then sign: that is what
// DIGG's verifying example as4_xhe_encrypted.xml shows (spec-facts §a, §a.4).
//
// No published text pins the O2O algorithms (spec-facts §k 11). Profile carries the ones
// emitted (DIGG's example: AES-256-CBC, RSA-OAEP-MGF1P with SHA-1, RSA-SHA256, SHA-256) and
// the ones accepted on receipt (also AES-GCM and RSA-OAEP with SHA-256).
//
// Open maps each failure to the *kvittens.Rejection of [CONTENT] §5.3: signature,
// signer, decryption or missing encryption → SIG/security; sender, recipient or function
// address mismatch → BV/security; XHE and SDK message rules → their SV/BV verdicts.
package o2o

import (
	"errors"
	"fmt"
	"slices"

	"github.com/brevduva/brevduva/core/c14n"
	"github.com/brevduva/brevduva/core/xhe"
	"github.com/brevduva/brevduva/core/xmldsig"
	"github.com/brevduva/brevduva/core/xmlenc"
)

// Profile is the O2O algorithm profile: what Seal emits and what Open accepts.
type Profile struct {
	ID string
	// Emitted.
	Content      xmlenc.Algorithm        // EncryptedData EncryptionMethod
	KeyTransport xmlenc.KeyTransport     // EncryptedKey EncryptionMethod (+ DigestMethod, MGF)
	Signature    xmldsig.SignatureMethod // SignatureMethod
	Digest       xmldsig.DigestMethod    // Reference DigestMethod
	Federation   string                  // FEDERATIONID of built XHEs (⚠U spec-facts §k 12)
	// Accepted on receipt.
	AcceptContent      []xmlenc.Algorithm
	AcceptKeyTransport []xmlenc.Algorithm
	AcceptSignature    []xmldsig.SignatureMethod
	AcceptDigest       []xmldsig.DigestMethod
	AcceptC14N         []c14n.Method
	MinRSABits         int
}

// DIGGProfile is the profile of DIGG's O2O examples (spec-facts §a table, O2O column),
// accepting AES-GCM and RSA-OAEP with SHA-256 as well (⚠U spec-facts §k 11).
func DIGGProfile() Profile {
	return Profile{
		ID:           "digg-o2o-2022",
		Content:      xmlenc.AES256CBC,
		KeyTransport: xmlenc.KeyTransport{Algorithm: xmlenc.RSAOAEPMGF1P, Digest: xmldsig.SHA1},
		Signature:    xmldsig.RSASHA256,
		Digest:       xmldsig.SHA256,
		Federation:   xhe.FederationSDK,
		AcceptContent: []xmlenc.Algorithm{xmlenc.AES256CBC, xmlenc.AES128CBC,
			xmlenc.AES256GCM, xmlenc.AES128GCM},
		AcceptKeyTransport: []xmlenc.Algorithm{xmlenc.RSAOAEPMGF1P, xmlenc.RSAOAEP},
		AcceptSignature:    []xmldsig.SignatureMethod{xmldsig.RSASHA256, xmldsig.RSASHA512},
		AcceptDigest:       []xmldsig.DigestMethod{xmldsig.SHA256, xmldsig.SHA512},
		AcceptC14N:         []c14n.Method{c14n.C14N10, c14n.C14N10Comments},
		MinRSABits:         2048,
	}
}

// Validate reports every inconsistency of p (errors.Join), without side effects.
func (p Profile) Validate() error {
	var errs []error
	if !slices.Contains(p.AcceptContent, p.Content) {
		errs = append(errs, fmt.Errorf("o2o: profile %s: emitted content algorithm %s is not accepted", p.ID, p.Content))
	}
	if !slices.Contains(p.AcceptKeyTransport, p.KeyTransport.Algorithm) {
		errs = append(errs, fmt.Errorf("o2o: profile %s: emitted key transport %s is not accepted", p.ID, p.KeyTransport.Algorithm))
	}
	if !slices.Contains(p.AcceptSignature, p.Signature) {
		errs = append(errs, fmt.Errorf("o2o: profile %s: emitted signature method %s is not accepted", p.ID, p.Signature))
	}
	if !slices.Contains(p.AcceptDigest, p.Digest) {
		errs = append(errs, fmt.Errorf("o2o: profile %s: emitted digest %s is not accepted", p.ID, p.Digest))
	}
	if !slices.Contains(p.AcceptC14N, c14n.C14N10) {
		errs = append(errs, fmt.Errorf("o2o: profile %s: inclusive c14n 1.0 must be accepted", p.ID))
	}
	if p.MinRSABits < 2048 {
		errs = append(errs, fmt.Errorf("o2o: profile %s: MinRSABits %d below 2048", p.ID, p.MinRSABits))
	}
	if p.Federation == "" {
		errs = append(errs, fmt.Errorf("o2o: profile %s: no federation id", p.ID))
	}
	return errors.Join(errs...)
}
