package xmlenc

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha1"   // OAEP digest and MGF1 hash (XML Encryption 1.1 §5.5.2)
	_ "crypto/sha256" // OAEP digest and MGF1 hash
	_ "crypto/sha512" // OAEP digest and MGF1 hash
	"fmt"

	"github.com/brevduva/brevduva/core/xmldsig"
)

// MinRSABits is the smallest RSA modulus KeyTransport wraps to or unwraps with.
const MinRSABits = 2048

// maxRSABits bounds the modulus, so a hostile certificate cannot make Wrap slow.
const maxRSABits = 16384

// KeyTransport is RSA-OAEP key transport (XML Encryption 1.1 §5.5.2).
//
// Algorithm is RSAOAEPMGF1P or RSAOAEP. Digest is the OAEP digest from ds:DigestMethod;
// empty means SHA-1, the default of §5.5.2. MGF is the xenc11:MGF algorithm of RSAOAEP;
// empty means MGF1 with SHA-1 (§5.5.2). RSAOAEPMGF1P always uses MGF1 with SHA-1, so its
// MGF must be empty or MGF1SHA1. OAEPParams is xenc:OAEPparams, the OAEP label (usually
// empty).
//
// eDelivery AS4 1.15 emits RSAOAEP + MGF1SHA256 + SHA256; DIGG's O2O examples emit
// RSAOAEPMGF1P + SHA1 (shared/design/spec-facts.md §a; §k 10 and 11).
type KeyTransport struct {
	Algorithm  Algorithm
	Digest     xmldsig.DigestMethod
	MGF        Algorithm
	OAEPParams []byte
}

// AS4KeyTransport is the key transport eDelivery AS4 1.15 emits (spec-facts.md §a, §k 10).
func AS4KeyTransport() KeyTransport {
	return KeyTransport{Algorithm: RSAOAEP, Digest: xmldsig.SHA256, MGF: MGF1SHA256}
}

// O2OKeyTransport is the key transport of DIGG's O2O examples (spec-facts.md §a, §k 11).
func O2OKeyTransport() KeyTransport {
	return KeyTransport{Algorithm: RSAOAEPMGF1P, Digest: xmldsig.SHA1}
}

func digestHash(d xmldsig.DigestMethod) (crypto.Hash, error) {
	if d == "" { // §5.5.2: SHA-1 when no DigestMethod is given
		return crypto.SHA1, nil
	}
	h, err := xmldsig.Hash(d)
	if err != nil {
		return 0, fmt.Errorf("oaep digest %q: %w", d, ErrUnsupported)
	}
	return h, nil
}

func mgfHash(m Algorithm) (crypto.Hash, error) {
	switch m {
	case "", MGF1SHA1: // §5.5.2: MGF1 with SHA-1 when no MGF is given
		return crypto.SHA1, nil
	case MGF1SHA256:
		return crypto.SHA256, nil
	case MGF1SHA384:
		return crypto.SHA384, nil
	case MGF1SHA512:
		return crypto.SHA512, nil
	}
	return 0, fmt.Errorf("mgf %q: %w", m, ErrUnsupported)
}

// Options returns the OAEP parameters kt stands for, for use with crypto.Decrypter
// (a KMS-backed key, for instance).
func (kt KeyTransport) Options() (*rsa.OAEPOptions, error) {
	h, err := digestHash(kt.Digest)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: key transport: %w", err)
	}
	var mh crypto.Hash
	switch kt.Algorithm {
	case RSAOAEPMGF1P:
		// §5.5.2: rsa-oaep-mgf1p fixes the mask generation function to MGF1 with SHA-1.
		if kt.MGF != "" && kt.MGF != MGF1SHA1 {
			return nil, fmt.Errorf("xmlenc: key transport: %s with mgf %q: %w", kt.Algorithm, kt.MGF, ErrUnsupported)
		}
		mh = crypto.SHA1
	case RSAOAEP:
		if mh, err = mgfHash(kt.MGF); err != nil {
			return nil, fmt.Errorf("xmlenc: key transport: %w", err)
		}
	default:
		return nil, fmt.Errorf("xmlenc: key transport %q: %w", kt.Algorithm, ErrUnsupported)
	}
	return &rsa.OAEPOptions{Hash: h, MGFHash: mh, Label: kt.OAEPParams}, nil
}

// Wrap encrypts cek for pub.
func (kt KeyTransport) Wrap(pub *rsa.PublicKey, cek []byte) ([]byte, error) {
	opts, err := kt.Options()
	if err != nil {
		return nil, err
	}
	if pub == nil || pub.N == nil {
		return nil, fmt.Errorf("xmlenc: key transport: no public key: %w", ErrKeySize)
	}
	if bits := pub.N.BitLen(); bits < MinRSABits || bits > maxRSABits {
		return nil, fmt.Errorf("xmlenc: key transport: rsa-%d: %w", bits, ErrKeySize)
	}
	out, err := rsa.EncryptOAEPWithOptions(rand.Reader, pub, cek, opts)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: key transport: wrap: %w", err)
	}
	return out, nil
}

// Unwrap decrypts wrapped with d, which must be an RSA key: a *rsa.PrivateKey or any
// crypto.Decrypter (KMS, HSM) that accepts *rsa.OAEPOptions with Hash and MGFHash. An
// OAEP failure is ErrDecrypt without detail; a receiver should answer it exactly as it
// answers a failed content decryption (XML Encryption 1.1 security considerations on
// chosen-ciphertext attacks and error messages).
func (kt KeyTransport) Unwrap(d crypto.Decrypter, wrapped []byte) ([]byte, error) {
	opts, err := kt.Options()
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, fmt.Errorf("xmlenc: key transport: no private key: %w", ErrKeySize)
	}
	pub, ok := d.Public().(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("xmlenc: key transport: %T is not an rsa key: %w", d.Public(), ErrKeySize)
	}
	if bits := pub.N.BitLen(); bits < MinRSABits {
		return nil, fmt.Errorf("xmlenc: key transport: rsa-%d: %w", bits, ErrKeySize)
	}
	if len(wrapped) != pub.Size() {
		return nil, ErrDecrypt
	}
	cek, err := d.Decrypt(rand.Reader, wrapped, opts)
	if err != nil {
		return nil, ErrDecrypt
	}
	return cek, nil
}
