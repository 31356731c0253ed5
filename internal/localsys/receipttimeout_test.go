package localsys

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brevduva/brevduva/core/sdkapi"
)

// TestReceiptTimeout: with "receiptTimeout" set, a message whose recipient (B in end-to-end
// mode, whose client never answers) sends no Meddelandekvittens leaves WAITING_FOR_RECEIPT
// for MESSAGE_EXCHANGE_ERROR instead of waiting for ever (⚠U spec-facts §k 17).
func TestReceiptTimeout(t *testing.T) {
	dir := e2eDemoCopy(t)
	path := filepath.Join(dir, DemoConfigFile)
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ReceiptTimeout = "2s"
	raw, _ := json.Marshal(cfg)
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	d := start(t, dir).Description()
	tokA := token(t, d, 0)
	send := map[string]any{"data": map[string]any{"type": "messages", "attributes": map[string]any{
		"confidentiality": false, "label": "Ingen svarar", "sender": DemoParticipantA, "recipient": DemoParticipantB,
		"recipientAttention": map[string]any{"subOrganization": map[string]any{"extension": "registrator"}},
		"digitalDocument":    []any{map[string]any{"documentId": "d1", "documentName": "Brev", "index": 1, "contentTextBody": []string{"Hej."}}},
	}}}
	code, b := call(t, "POST", d.SDKAPIBaseURL+"/sdk/messages", tokA, "", send)
	if code != http.StatusCreated {
		t.Fatalf("send: %d %s", code, b)
	}
	var created sdkapi.Document[sdkapi.Resource]
	if err := json.Unmarshal(b, &created); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, d, tokA, created.Data.ID, "WAITING_FOR_RECEIPT")
	waitStatus(t, d, tokA, created.Data.ID, "MESSAGE_EXCHANGE_ERROR")
}

func TestReceiptTimeoutRefusesBadValues(t *testing.T) {
	for _, v := range []string{"soon", "-1h", "0s"} {
		c := &Config{ReceiptTimeout: v}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "receiptTimeout") {
			t.Errorf("receiptTimeout %q: %v", v, err)
		}
	}
}
