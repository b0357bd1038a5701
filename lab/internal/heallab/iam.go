package heallab

import (
	"bytes"
	"encoding/json"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator/iamcheck"
)

// iamInspector is the API proxy's inspector: IAM's resource-level check,
// which moto lacks (package iamcheck holds the rules), on the
// instance policy as the program wrote it, in the stack's account and
// region. It looks tags and groups up in moto as the lab's administrator,
// whom moto's enforcement lets through; call it after enforceIAM switched
// the lab to that identity.
func (l *Lab) iamInspector() *iamcheck.Inspector {
	return iamcheck.New(l.Policy, l.monitor.Partition(), l.Region, l.monitor.AccountID(), l.admin)
}

// jsonStrict decodes text into out, refusing fields out does not have, so
// that a policy the harness misreads fails loudly instead of being checked
// as if it said less.
func jsonStrict(text string, out any) error {
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.DisallowUnknownFields()
	return dec.Decode(out)
}
