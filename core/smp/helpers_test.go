package smp

import (
	"crypto/x509"
	"encoding/pem"
	"io"
)

func pemEncode(w io.Writer, c *x509.Certificate) {
	_ = pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}
