package front

import (
	"net/http"
	"time"

	"github.com/brevduva/brevduva/core/ebms"
)

// faultContentType is the SOAP 1.2 media type of the error signals the Worker writes.
const faultContentType = "application/soap+xml; charset=UTF-8"

// fault answers the sending AP with an unsigned ebMS error signal bound to a SOAP 1.2
// fault (ebMS 3.0 Core §6.6): the request never reached the engine, which alone signs.
func fault(w http.ResponseWriter, status int, at time.Time, e *ebms.Error) {
	sig := ebms.ErrorSignal("_"+newID(), newID()+"@brevduva-edge", "", at.UTC(), e)
	env, err := ebms.FaultEnvelope(sig)
	var b []byte
	if err == nil {
		b, err = env.Bytes()
	}
	if err != nil {
		panic("internal error: ebms fault: " + err.Error())
	}
	w.Header().Set("Content-Type", faultContentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
