package xmlenc

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strconv"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/xmldsig"
	"github.com/brevduva/brevduva/core/xmlsafe"
)

// EncryptedKey is xenc:EncryptedKey (XML Encryption 1.1 §3.5.1). Exactly one of
// Transport (RSA-OAEP, §5.5) and Agreement (key agreement + key wrap, §5.4 and §5.6) is
// set; with Agreement, Ephemeral is the originator's public key.
//
// KeyInfo identifies the recipient key of a Transport (ds:X509Data, or
// wsse:SecurityTokenReference in WS-Security). Element accepts either the ds:KeyInfo
// element itself or a single element to put in one; ParseEncryptedKey returns a detached
// copy of the ds:KeyInfo element (nil if absent), with the namespace declarations it needs.
// RecipientKeyInfo is the same for xenc:RecipientKeyInfo inside the AgreementMethod. With
// Agreement, ds:KeyInfo holds the AgreementMethod only and KeyInfo is not used.
type EncryptedKey struct {
	ID               string
	Recipient        string
	Transport        *KeyTransport
	Agreement        *KeyAgreement
	Ephemeral        *ecdh.PublicKey
	KeyInfo          *etree.Element
	RecipientKeyInfo *etree.Element
	CipherValue      []byte
	DataReferences   []string // URIs of xenc:ReferenceList/DataReference, e.g. "#ED-1"
	CarriedKeyName   string
}

// Element builds the xenc:EncryptedKey element, declaring the prefixes xenc, xenc11, ds,
// dsig11 and dsig-more it uses on itself. It does not validate; Validate does.
func (k *EncryptedKey) Element() *etree.Element {
	b := newBuilder()
	root := b.el(nil, prefixXenc, Namespace, "EncryptedKey")
	if k.ID != "" {
		root.CreateAttr("Id", k.ID)
	}
	if k.Recipient != "" {
		root.CreateAttr("Recipient", k.Recipient)
	}
	em := b.el(root, prefixXenc, Namespace, "EncryptionMethod")
	switch {
	case k.Transport != nil:
		kt := k.Transport
		em.CreateAttr("Algorithm", string(kt.Algorithm))
		if len(kt.OAEPParams) > 0 {
			b.el(em, prefixXenc, Namespace, "OAEPparams").SetText(base64.StdEncoding.EncodeToString(kt.OAEPParams))
		}
		if kt.Digest != "" {
			b.el(em, prefixDSig, NamespaceDSig, "DigestMethod").CreateAttr("Algorithm", string(kt.Digest))
		}
		if kt.Algorithm == RSAOAEP && kt.MGF != "" {
			b.el(em, prefixXenc11, Namespace11, "MGF").CreateAttr("Algorithm", string(kt.MGF))
		}
		if k.KeyInfo != nil {
			b.container(root, k.KeyInfo, prefixDSig, NamespaceDSig, "KeyInfo")
		}
	case k.Agreement != nil:
		ka := k.Agreement
		em.CreateAttr("Algorithm", string(ka.Wrap))
		ki := b.el(root, prefixDSig, NamespaceDSig, "KeyInfo")
		b.agreementMethod(ki, ka, k.Ephemeral, k.RecipientKeyInfo)
	}
	cd := b.el(root, prefixXenc, Namespace, "CipherData")
	b.el(cd, prefixXenc, Namespace, "CipherValue").SetText(base64.StdEncoding.EncodeToString(k.CipherValue))
	if len(k.DataReferences) > 0 {
		rl := b.el(root, prefixXenc, Namespace, "ReferenceList")
		for _, u := range k.DataReferences {
			b.el(rl, prefixXenc, Namespace, "DataReference").CreateAttr("URI", u)
		}
	}
	if k.CarriedKeyName != "" {
		b.el(root, prefixXenc, Namespace, "CarriedKeyName").SetText(k.CarriedKeyName)
	}
	b.declare(root)
	return root
}

// agreementMethod writes xenc:AgreementMethod (§5.4) with the layout of eDelivery AS4
// 2.0 (spec-facts.md §g): xenc11:KeyDerivationMethod/dsig-more:HKDFParams (RFC 9231
// §2.8.2: PRF, Salt, Info, KeyLength), xenc:OriginatorKeyInfo/dsig11:DEREncodedKeyValue
// (the ephemeral key as SubjectPublicKeyInfo) and xenc:RecipientKeyInfo.
func (b *builder) agreementMethod(parent *etree.Element, ka *KeyAgreement, eph *ecdh.PublicKey, recipient *etree.Element) {
	am := b.el(parent, prefixXenc, Namespace, "AgreementMethod")
	am.CreateAttr("Algorithm", string(ka.Algorithm))
	kdm := b.el(am, prefixXenc11, Namespace11, "KeyDerivationMethod")
	kdm.CreateAttr("Algorithm", string(ka.KDF))
	p := b.el(kdm, prefixDSigMore, NamespaceDSigMore, "HKDFParams")
	b.el(p, prefixDSigMore, NamespaceDSigMore, "PRF").CreateAttr("Algorithm", string(ka.PRF))
	// ⚠U spec-facts.md §g / §k 24: Salt and Info as base64 text, KeyLength in bytes.
	if len(ka.Salt) > 0 {
		b.el(p, prefixDSigMore, NamespaceDSigMore, "Salt").SetText(base64.StdEncoding.EncodeToString(ka.Salt))
	}
	if len(ka.Info) > 0 {
		b.el(p, prefixDSigMore, NamespaceDSigMore, "Info").SetText(base64.StdEncoding.EncodeToString(ka.Info))
	}
	b.el(p, prefixDSigMore, NamespaceDSigMore, "KeyLength").SetText(strconv.Itoa(ka.KeyLength))
	if eph != nil {
		oki := b.el(am, prefixXenc, Namespace, "OriginatorKeyInfo")
		if der, err := x509.MarshalPKIXPublicKey(eph); err == nil {
			b.el(oki, prefixDSig11, NamespaceDSig11, "DEREncodedKeyValue").SetText(base64.StdEncoding.EncodeToString(der))
		}
	}
	if recipient != nil {
		b.container(am, recipient, prefixXenc, Namespace, "RecipientKeyInfo")
	}
}

// Validate checks k as ParseEncryptedKey would check the element k builds.
func (k *EncryptedKey) Validate() error {
	_, err := ParseEncryptedKey(k.Element())
	return err
}

// ParseEncryptedKey reads an xenc:EncryptedKey. It accepts only the algorithms of this
// package, requires a CipherValue (CipherReference is not supported for keys), and caps
// the sizes of what it decodes. el is not modified.
func ParseEncryptedKey(el *etree.Element) (*EncryptedKey, error) {
	k, err := parseEncryptedKey(el)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: encrypted key: %w", err)
	}
	return k, nil
}

func parseEncryptedKey(el *etree.Element) (*EncryptedKey, error) {
	if el == nil || !xmlsafe.Is(el, Namespace, "EncryptedKey") {
		return nil, fmt.Errorf("not an xenc:EncryptedKey: %w", ErrMalformed)
	}
	if err := onlyChildren(el,
		[2]string{Namespace, "EncryptionMethod"}, [2]string{NamespaceDSig, "KeyInfo"},
		[2]string{Namespace, "CipherData"}, [2]string{Namespace, "EncryptionProperties"},
		[2]string{Namespace, "ReferenceList"}, [2]string{Namespace, "CarriedKeyName"}); err != nil {
		return nil, err
	}
	k := &EncryptedKey{}
	var err error
	if k.ID, _, err = attr(el, "Id"); err != nil {
		return nil, err
	}
	if k.Recipient, _, err = attr(el, "Recipient"); err != nil {
		return nil, err
	}
	// Without EncryptionMethod the algorithm would have to come from context (§3.1); we
	// never have that context, so it is required.
	em, err := xmlsafe.Child(el, Namespace, "EncryptionMethod")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	alg, err := algorithm(em)
	if err != nil {
		return nil, err
	}
	ki, hasKI, err := optChild(el, NamespaceDSig, "KeyInfo")
	if err != nil {
		return nil, err
	}
	switch alg {
	case RSAOAEPMGF1P, RSAOAEP:
		kt, err := parseTransportMethod(em, alg)
		if err != nil {
			return nil, err
		}
		k.Transport = kt
		if hasKI {
			k.KeyInfo = detach(ki)
		}
	case KWAES128, KWAES256:
		if err := onlyChildren(em, [2]string{Namespace, "KeySize"}); err != nil {
			return nil, err
		}
		if !hasKI {
			return nil, fmt.Errorf("%s without ds:KeyInfo/xenc:AgreementMethod: %w", alg, ErrUnsupported)
		}
		if err := onlyChildren(ki, [2]string{Namespace, "AgreementMethod"}); err != nil {
			return nil, err
		}
		am, err := xmlsafe.Child(ki, Namespace, "AgreementMethod")
		if err != nil {
			return nil, fmt.Errorf("%s: %w: %w", alg, ErrUnsupported, err)
		}
		if err := parseAgreementMethod(am, alg, k); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("key encryption %q: %w", alg, ErrUnsupported)
	}
	cd, err := xmlsafe.Child(el, Namespace, "CipherData")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if err := onlyChildren(cd, [2]string{Namespace, "CipherValue"}); err != nil {
		return nil, fmt.Errorf("%w (CipherReference is not supported for keys)", err)
	}
	cv, err := xmlsafe.Child(cd, Namespace, "CipherValue")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if k.CipherValue, err = b64(cv, maxKeyCipher); err != nil {
		return nil, err
	}
	if len(k.CipherValue) == 0 {
		return nil, fmt.Errorf("empty CipherValue: %w", ErrMalformed)
	}
	if rl, ok, err := optChild(el, Namespace, "ReferenceList"); err != nil {
		return nil, err
	} else if ok {
		if err := onlyChildren(rl, [2]string{Namespace, "DataReference"}, [2]string{Namespace, "KeyReference"}); err != nil {
			return nil, err
		}
		for _, dr := range xmlsafe.Children(rl, Namespace, "DataReference") {
			u, ok, err := attr(dr, "URI")
			if err != nil {
				return nil, err
			}
			if !ok || u == "" {
				return nil, fmt.Errorf("DataReference without URI: %w", ErrMalformed)
			}
			k.DataReferences = append(k.DataReferences, u)
		}
	}
	if ckn, ok, err := optChild(el, Namespace, "CarriedKeyName"); err != nil {
		return nil, err
	} else if ok {
		if k.CarriedKeyName, err = text(ckn, maxAttrText); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// parseTransportMethod reads the EncryptionMethod of RSA-OAEP (§5.5.2): optional
// xenc:OAEPparams, ds:DigestMethod and, for xenc11#rsa-oaep, xenc11:MGF.
func parseTransportMethod(em *etree.Element, alg Algorithm) (*KeyTransport, error) {
	allowed := [][2]string{{Namespace, "KeySize"}, {Namespace, "OAEPparams"}, {NamespaceDSig, "DigestMethod"}}
	if alg == RSAOAEP {
		allowed = append(allowed, [2]string{Namespace11, "MGF"})
	}
	if err := onlyChildren(em, allowed...); err != nil {
		return nil, err
	}
	kt := &KeyTransport{Algorithm: alg}
	if dm, ok, err := optChild(em, NamespaceDSig, "DigestMethod"); err != nil {
		return nil, err
	} else if ok {
		d, err := algorithm(dm)
		if err != nil {
			return nil, err
		}
		kt.Digest = xmldsig.DigestMethod(d)
	}
	if mgf, ok, err := optChild(em, Namespace11, "MGF"); err != nil {
		return nil, err
	} else if ok {
		if kt.MGF, err = algorithm(mgf); err != nil {
			return nil, err
		}
	}
	if op, ok, err := optChild(em, Namespace, "OAEPparams"); err != nil {
		return nil, err
	} else if ok {
		if kt.OAEPParams, err = b64(op, maxAttrText); err != nil {
			return nil, err
		}
	}
	if _, err := kt.Options(); err != nil { // known digest and MGF only
		return nil, err
	}
	return kt, nil
}

// parseAgreementMethod reads xenc:AgreementMethod (§5.4.2) into k.Agreement,
// k.Ephemeral and k.RecipientKeyInfo.
func parseAgreementMethod(am *etree.Element, wrap Algorithm, k *EncryptedKey) error {
	if err := onlyChildren(am, [2]string{Namespace11, "KeyDerivationMethod"},
		[2]string{Namespace, "OriginatorKeyInfo"}, [2]string{Namespace, "RecipientKeyInfo"}); err != nil {
		return fmt.Errorf("%w (KA-Nonce is not supported)", err)
	}
	alg, err := algorithm(am)
	if err != nil {
		return err
	}
	ka := &KeyAgreement{Algorithm: alg, Wrap: wrap}
	kdm, err := xmlsafe.Child(am, Namespace11, "KeyDerivationMethod")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if ka.KDF, err = algorithm(kdm); err != nil {
		return err
	}
	if ka.KDF != HKDF {
		return fmt.Errorf("key derivation %q: %w", ka.KDF, ErrUnsupported)
	}
	if err := parseHKDFParams(kdm, ka); err != nil {
		return err
	}
	if _, err := ka.withDefaults(); err != nil {
		return err
	}
	oki, err := xmlsafe.Child(am, Namespace, "OriginatorKeyInfo")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if k.Ephemeral, err = originatorKey(oki); err != nil {
		return err
	}
	if err := checkCurve(alg, k.Ephemeral); err != nil {
		return fmt.Errorf("originator key: %w", err)
	}
	if rki, ok, err := optChild(am, Namespace, "RecipientKeyInfo"); err != nil {
		return err
	} else if ok {
		k.RecipientKeyInfo = detach(rki)
	}
	k.Agreement = ka
	return nil
}

// parseHKDFParams reads dsig-more:HKDFParams (RFC 9231 §2.8.2). Salt is base64 text, or
// (as go-as4 writes it) a Specified child holding base64; Info is base64; KeyLength is
// read as bytes (⚠U spec-facts.md §g / §k 24).
func parseHKDFParams(kdm *etree.Element, ka *KeyAgreement) error {
	if err := onlyChildren(kdm, [2]string{NamespaceDSigMore, "HKDFParams"}); err != nil {
		return err
	}
	p, err := xmlsafe.Child(kdm, NamespaceDSigMore, "HKDFParams")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if err := onlyChildren(p, [2]string{NamespaceDSigMore, "PRF"}, [2]string{Namespace11, "PRF"}, [2]string{NamespaceDSigMore, "Salt"},
		[2]string{NamespaceDSigMore, "Info"}, [2]string{NamespaceDSigMore, "KeyLength"}); err != nil {
		return err
	}
	// Santuario 4 writes dsig-more:PRF but looks for xenc11:PRF when reading; accept either.
	prfs := append(xmlsafe.Children(p, NamespaceDSigMore, "PRF"), xmlsafe.Children(p, Namespace11, "PRF")...)
	if len(prfs) != 1 {
		return fmt.Errorf("HKDFParams with %d PRF: %w", len(prfs), ErrMalformed)
	}
	if ka.PRF, err = algorithm(prfs[0]); err != nil {
		return err
	}
	if s, ok, err := optChild(p, NamespaceDSigMore, "Salt"); err != nil {
		return err
	} else if ok {
		if spec, ok, err := optChild(s, NamespaceDSigMore, "Specified"); err != nil {
			return err
		} else if ok {
			s = spec
		}
		if ka.Salt, err = b64(s, maxHKDFParam); err != nil {
			return err
		}
	}
	if i, ok, err := optChild(p, NamespaceDSigMore, "Info"); err != nil {
		return err
	} else if ok {
		if ka.Info, err = b64(i, maxHKDFParam); err != nil {
			return err
		}
	}
	kl, err := xmlsafe.Child(p, NamespaceDSigMore, "KeyLength")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if ka.KeyLength, err = positiveInt(kl); err != nil {
		return err
	}
	return nil
}

// originatorKey reads the ephemeral public key from xenc:OriginatorKeyInfo:
// dsig11:DEREncodedKeyValue (XMLDSig 1.1 §4.5.6), directly or inside ds:KeyValue.
func originatorKey(oki *etree.Element) (*ecdh.PublicKey, error) {
	der, ok, err := optChild(oki, NamespaceDSig11, "DEREncodedKeyValue")
	if err != nil {
		return nil, err
	}
	if !ok {
		kv, ok, err := optChild(oki, NamespaceDSig, "KeyValue")
		if err != nil {
			return nil, err
		}
		if ok {
			if ec, isEC, err := optChild(kv, NamespaceDSig11, "ECKeyValue"); err != nil {
				return nil, err
			} else if isEC {
				return ecKeyValue(ec)
			}
			der, ok, err = optChild(kv, NamespaceDSig11, "DEREncodedKeyValue")
			if err != nil {
				return nil, err
			}
		}
		if !ok {
			return nil, fmt.Errorf("OriginatorKeyInfo without DEREncodedKeyValue or ECKeyValue: %w", ErrUnsupported)
		}
	}
	b, err := b64(der, maxPublicKeyDER)
	if err != nil {
		return nil, err
	}
	pub, err := x509.ParsePKIXPublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("originator key: %w: %w", ErrMalformed, err)
	}
	switch pub := pub.(type) {
	case *ecdh.PublicKey:
		return pub, nil
	case *ecdsa.PublicKey:
		e, err := pub.ECDH()
		if err != nil {
			return nil, fmt.Errorf("originator key: %w: %w", ErrMalformed, err)
		}
		return e, nil
	}
	return nil, fmt.Errorf("originator key of type %T: %w", pub, ErrUnsupported)
}

// Named curves of dsig11:ECKeyValue (XMLDSig 1.1 §4.5.2.3.1), by OID URI (RFC 5480).
const (
	curveP256 = "urn:oid:1.2.840.10045.3.1.7"
	curveP384 = "urn:oid:1.3.132.0.34"
	curveP521 = "urn:oid:1.3.132.0.35"
)

// ecKeyValue reads dsig11:ECKeyValue with a NamedCurve and an uncompressed PublicKey
// point, as Santuario writes an ECDH-ES originator key.
func ecKeyValue(ec *etree.Element) (*ecdh.PublicKey, error) {
	nc, err := xmlsafe.Child(ec, NamespaceDSig11, "NamedCurve")
	if err != nil {
		return nil, fmt.Errorf("ECKeyValue without NamedCurve: %w: %w", ErrUnsupported, err)
	}
	uri, _, err := attr(nc, "URI")
	if err != nil {
		return nil, err
	}
	var c ecdh.Curve
	switch uri {
	case curveP256:
		c = ecdh.P256()
	case curveP384:
		c = ecdh.P384()
	case curveP521:
		c = ecdh.P521()
	default:
		return nil, fmt.Errorf("ECKeyValue curve %q: %w", uri, ErrUnsupported)
	}
	pk, err := xmlsafe.Child(ec, NamespaceDSig11, "PublicKey")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	point, err := b64(pk, 256)
	if err != nil {
		return nil, err
	}
	pub, err := c.NewPublicKey(point)
	if err != nil {
		return nil, fmt.Errorf("ECKeyValue point: %w: %w", ErrMalformed, err)
	}
	return pub, nil
}
