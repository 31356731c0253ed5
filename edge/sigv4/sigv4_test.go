package sigv4

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// The Authorization header equals what the AWS SDK's signer computes for the same
// request (S3: no double path escaping), for the request shapes the Worker sends.
func TestMatchesAWSSDKSigner(t *testing.T) {
	at := time.Date(2026, 11, 27, 5, 30, 0, 0, time.UTC)
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	for _, c := range []struct {
		method, url, ct, token, hash string
	}{
		{"POST", "http://127.0.0.1:9000/staging/inbound/2026/11/27/abc?uploads=", "", "", HashPayload(nil)},
		{"PUT", "http://127.0.0.1:9000/staging/inbound/x%20y?partNumber=2&uploadId=a%2Fb%3D", "", "tok", HashPayload([]byte("part"))},
		{"POST", "https://acct.r2.cloudflarestorage.com/b/inbound/k?uploadId=Zz~9", "application/xml", "", HashPayload([]byte("<x/>"))},
		{"DELETE", "https://s3.eu-north-1.amazonaws.com/b/inbound/k", "", "", UnsignedPayload},
	} {
		mine, _ := http.NewRequest(c.method, c.url, nil)
		theirs, _ := http.NewRequest(c.method, c.url, nil)
		if c.ct != "" {
			mine.Header.Set("Content-Type", c.ct)
			theirs.Header.Set("Content-Type", c.ct)
		}
		cr := creds
		cr.SessionToken = c.token
		s := Signer{AccessKeyID: cr.AccessKeyID, SecretAccessKey: cr.SecretAccessKey, SessionToken: c.token, Region: "eu-north-1", Service: "s3"}
		s.Sign(mine, c.hash, at)
		theirs.Header.Set(amzContentSHA256, c.hash)
		err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).
			SignHTTP(context.Background(), cr, theirs, c.hash, "s3", "eu-north-1", at)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := mine.Header.Get("Authorization"), theirs.Header.Get("Authorization"); got != want {
			t.Errorf("%s %s:\n got  %s\n want %s", c.method, c.url, got, want)
		}
	}
}
