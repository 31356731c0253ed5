package local_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/enginetest"
	"github.com/brevduva/brevduva/core/sdkmsg"
	"github.com/brevduva/brevduva/infra/local"
)

// The audit trail never holds content: a message whose subject, text, attachment name and
// attachment bytes carry markers crosses two engines that record into a bbolt audit file,
// and no marker is anywhere in that file's bytes, while the message's id is (the trail is
// there) and the delivered mail holds every marker (they did travel).
func TestAuditStoreHoldsNoContent(t *testing.T) {
	attachment := []byte("%PDF-1.4\nMARKER-ATTACHMENT-BYTES-9b27aa")
	markers := map[string]string{
		"subject":  "MARKER-SUBJECT-7f3a9c",
		"body":     "MARKER-BODY-51e0b2",
		"filename": "MARKER-FILENAME-c4d8e1.pdf",
		// the attachment travels base64-encoded in the SDK message
		"attachment": base64.StdEncoding.EncodeToString(attachment),
	}
	path := filepath.Join(t.TempDir(), "audit.db")
	db, err := local.OpenDB(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w := enginetest.NewWorld(t, nil)
	l, err := audit.NewLog(audit.Options{Store: local.NewAuditStore(db), Now: w.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	w.Configure = func(o *msh.EngineOptions) { o.Audit = l }
	w.Start(w.A)
	w.Start(w.B)

	mid := enginetest.ID(90)
	m := &sdkmsg.Message{
		CreationDateTime: sdkmsg.FormatTime(enginetest.T0), MessageID: mid, ConversationID: enginetest.ID(91),
		Label:     markers["subject"],
		Recipient: sdkmsg.Party{ID: enginetest.PartB, Attention: &sdkmsg.Attention{FunctionAddress: enginetest.FnB}},
		Sender:    sdkmsg.Party{ID: enginetest.PartA},
		Documents: []sdkmsg.Document{{DocumentID: "doc-1", DocumentName: "Dokument", Texts: []string{markers["body"]},
			Files: []sdkmsg.File{{FileName: markers["filename"], ContentType: "application/pdf", Content: attachment}}}},
	}
	body, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := w.A.Engine.Submit(ctx, w.A.Tenant.ID, msh.Submission{Message: body}); err != nil {
		t.Fatal(err)
	}
	w.MustPump()
	w.WantState(mid, msh.StateAccepted)
	mail, err := w.B.Engine.GetMail(ctx, w.B.Tenant.ID, enginetest.FnB, mid)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Sync(); err != nil {
		t.Fatal(err)
	}
	stored, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(stored, []byte(mid)) {
		t.Fatal("the audit file does not hold the message id: the trail is missing")
	}
	for name, mk := range markers {
		if !bytes.Contains(mail.Body, []byte(mk)) {
			t.Errorf("the delivered message lacks the %s marker: the test proves nothing", name)
		}
		if bytes.Contains(stored, []byte(mk)) {
			t.Errorf("the audit file holds the %s marker %q", name, mk)
		}
	}
	for _, tid := range []string{w.A.Tenant.ID, w.B.Tenant.ID} {
		if rep, err := l.Verify(ctx, tid); err != nil || rep.Entries < 5 {
			t.Errorf("tenant %s: %+v, %v", tid, rep, err)
		}
	}
}
