package front

import (
	"net/http"
	"time"

	"github.com/brevduva/brevduva/core/ebms"
)

// fault answers the sending AP with an unsigned ebMS error signal bound to a SOAP 1.2
// fault (ebMS 3.0 Core §6.6): the request never reached the engine, which alone signs.
func fault(w http.ResponseWriter, status int, at time.Time, e *ebms.Error) {
	w.Header().Set("Content-Type", ebms.FaultContentType)
	w.WriteHeader(status)
	_, _ = w.Write(ebms.UnsignedFault("_"+newID(), newID()+"@brevduva-edge", at, e))
}
