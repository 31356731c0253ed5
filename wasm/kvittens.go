//go:build js && wasm

package main

import (
	"encoding/json"
	"errors"
	"syscall/js"
	"time"

	"github.com/brevduva/brevduva/core/kvittens"
	"github.com/brevduva/brevduva/core/o2o"
	"github.com/brevduva/brevduva/core/xhe"
)

// openWithKvittens(xhe, senderCertPEM?) → {opened, xml?, message?, signer?, error?,
// kvittens, code}: open as open() does, then answer the message as its recipient's message
// service must in end-to-end mode (spec-facts §d, [CONTENT] §5.3 via kvittens.DecideError):
// the Meddelandekvittens ACCEPTED when the message opened and validated, else REJECTED
// with the reason and detail, signed with the loaded key and never encrypted (o2o
// SealReceipt, as core/msh seals it in server mode). Its id is kvittens.IDPrefix + the
// message id, so the access point sends one kvittens per message. A failed open is a
// value (opened false, error {code, message}) with its REJECTED kvittens, not an error.
func openWithKvittens(args []js.Value) (any, error) {
	if held.dec == nil || held.key == nil {
		return nil, fail("no-key", "load the organisation's key first")
	}
	b, sender, err := openArgs(args)
	if err != nil {
		return nil, err
	}
	_, env, err := xhe.ParseBytes(b)
	if err != nil || env.ID == "" {
		return nil, fail("rejected", "not an XHE with a message id, no kvittens can answer it: %v", err)
	}
	op := o2o.Opener{Decrypter: held.dec, Cert: held.cert, Profile: o2o.DIGGProfile(), Now: time.Now}
	o, oerr := op.Open(b, sender)
	out := map[string]any{"opened": oerr == nil}
	if oerr == nil {
		if out, err = opened(out, o); err != nil {
			return nil, err
		}
	} else {
		out["error"] = map[string]any{"code": "rejected", "message": oerr.Error()}
	}
	rc := kvittens.New(kvittens.IDPrefix+env.ID, time.Now(), env.ID, env.From, env.To, rejection(oerr))
	s := o2o.Sealer{Key: held.key, Cert: held.cert, Profile: o2o.DIGGProfile(), Now: time.Now}
	k, err := s.SealReceipt(rc, env.HandlingServiceID)
	if err != nil {
		return nil, fail("seal", "kvittens: %v", err)
	}
	out["kvittens"], out["code"] = toJS(k), string(rc.Code)
	return out, nil
}

// rejection is what a failed open answers: the *kvittens.Rejection it carries, or the
// decision for any other failure (REJECTED SV/structure); nil when the open succeeded.
func rejection(err error) *kvittens.Rejection {
	if err == nil {
		return nil
	}
	var r *kvittens.Rejection
	if errors.As(err, &r) {
		return r
	}
	d := kvittens.DecideError(err)
	return &kvittens.Rejection{Reason: d.Reason, Detail: d.Detail, Err: err}
}

// opened adds what open() returns for an opened message to out.
func opened(out map[string]any, o *o2o.Opened) (map[string]any, error) {
	mj, err := json.Marshal(o.Message)
	if err != nil {
		return nil, fail("internal", "%v", err)
	}
	out["xml"], out["message"], out["signer"] = string(o.MessageXML), string(mj), o.Signer.Subject.String()
	return out, nil
}
