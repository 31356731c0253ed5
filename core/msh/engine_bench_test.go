package msh_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/brevduva/brevduva/core/as4"
	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/enginetest"
	"github.com/brevduva/brevduva/core/o2o"
	"github.com/brevduva/brevduva/core/pmode"
)

// packed returns n AS4 messages from A's AP to B's, each with its own MessageId and the
// same sealed XHE (an SDK message with the 10 KB test PDF).
func packed(b *testing.B, w *enginetest.World, n int) []enginetest.Posted {
	b.Helper()
	orgA, orgB := w.PKI.Leaf("org-a"), w.PKI.Leaf("org-b")
	sealer := &o2o.Sealer{Key: orgA.Key, Cert: orgA.Cert, Profile: o2o.DIGGProfile(), Now: w.Clock.Now}
	x, err := sealer.Seal(enginetest.SDKMessage(b, id(0), partA, partB, fnB), orgB.Cert, fnB)
	if err != nil {
		b.Fatal(err)
	}
	p := &as4.Packer{Profile: pmode.EDelivery115(), Sender: as4.Sender{Key: w.A.Tenant.AS4Key, Cert: w.A.Tenant.AS4Cert},
		Recipient: w.B.Tenant.AS4Cert, Now: w.Clock.Now}
	leg := pmode.SDKMessageLeg()
	out := make([]enginetest.Posted, n)
	for i := range out {
		um := leg.UserMessage(w.A.Tenant.APPartyID, w.B.Tenant.APPartyID, id(0), partA, partB)
		um.Info.MessageID = id(1000 + i)
		var buf bytes.Buffer
		ct, _, err := p.Pack(&buf, um, []as4.Payload{{ContentID: leg.PayloadCID, MimeType: leg.PayloadMimeType, Data: x}})
		if err != nil {
			b.Fatal(err)
		}
		out[i] = enginetest.Posted{ContentType: ct, Body: buf.Bytes()}
	}
	return out
}

func msgPerSec(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
}

// BenchmarkEngineReceive is the in-process receive pipeline on the in-memory ports:
// Unpack, duplicate guard, payload, signed receipt, deliver work item, PutInbound.
func BenchmarkEngineReceive(b *testing.B) {
	w := enginetest.NewWorld(b, nil)
	msgs := packed(b, w, b.N)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		r, err := w.B.Engine.Receive(ctx, w.B.Tenant.ID, msgs[i].ContentType, bytes.NewReader(msgs[i].Body))
		if err != nil || bytes.Contains(r.Body, []byte("errorCode")) {
			b.Fatalf("%v %s", err, r.Body)
		}
	}
	msgPerSec(b)
}

// BenchmarkEngineUnpackFloor is as4 Unpack alone on the same messages: the floor of the
// receive pipeline.
func BenchmarkEngineUnpackFloor(b *testing.B) {
	w := enginetest.NewWorld(b, nil)
	msgs := packed(b, w, b.N)
	u := &as4.Unpacker{Profile: pmode.EDelivery115(), Recipient: as4.Recipient{Cert: w.B.Tenant.AS4Cert, Decrypter: w.B.Tenant.AS4Decrypter},
		Trust: w.B.Tenant.APTrust}
	b.ResetTimer()
	for i := range b.N {
		if _, err := u.Unpack(msgs[i].ContentType, bytes.NewReader(msgs[i].Body)); err != nil {
			b.Fatal(err)
		}
	}
	msgPerSec(b)
}

// BenchmarkEngineExchange is one whole exchange on the in-memory ports, A's submission to
// A's outbox ACCEPTED: seal, pack, B's receive, open and deliver, B's kvittens sealed,
// packed and received by A, applied to A's outbox.
func BenchmarkEngineExchange(b *testing.B) {
	w := enginetest.NewWorld(b, nil)
	msgs := make([][]byte, b.N)
	for i := range msgs {
		msgs[i] = enginetest.SDKMessage(b, id(1000+i), partA, partB, fnB)
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if _, err := w.A.Engine.Submit(ctx, w.A.Tenant.ID, msh.Submission{Message: msgs[i]}); err != nil {
			b.Fatal(err)
		}
		w.MustPump()
	}
	b.StopTimer()
	for i := range b.N {
		w.WantState(id(1000+i), msh.StateAccepted)
	}
	msgPerSec(b)
}
