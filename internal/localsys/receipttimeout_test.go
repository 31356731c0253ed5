package localsys

import (
	"strings"
	"testing"
)

// TestReceiptTimeout: with "receiptTimeout" set, a message whose recipient (B in end-to-end
// mode, whose client never answers) sends no Meddelandekvittens leaves WAITING_FOR_RECEIPT
// for MESSAGE_EXCHANGE_ERROR instead of waiting for ever (⚠U spec-facts §k 17).
func TestReceiptTimeout(t *testing.T) {
	dir := e2eDemoCopy(t)
	editConfig(t, dir, func(c *Config) { c.ReceiptTimeout = "2s" })
	d := start(t, dir).Description()
	tokA := token(t, d, 0)
	id := submitText(t, d, tokA, false, "Ingen svarar", "Hej.")
	waitStatus(t, d, tokA, id, "WAITING_FOR_RECEIPT")
	waitStatus(t, d, tokA, id, "MESSAGE_EXCHANGE_ERROR")
}

func TestReceiptTimeoutRefusesBadValues(t *testing.T) {
	for _, v := range []string{"soon", "-1h", "0s"} {
		c := &Config{ReceiptTimeout: v}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "receiptTimeout") {
			t.Errorf("receiptTimeout %q: %v", v, err)
		}
	}
}
