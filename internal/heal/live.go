package heal

import (
	"fmt"

	"github.com/selfhealing-dev/selfhealing/internal/testenv"
)

// Each booted instance stays up, in its own mount namespace, until the lab
// kills it: what its boot mounted (the data volume) stays mounted until
// then, and the lab can act on it meanwhile (WriteVolumeFile), as an
// application on the instance would.

// trackInstance records a booted instance as running, and makes Close stop
// it.
func (l *Lab) trackInstance(id string, inst *testenv.LiveInstance) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.live == nil {
		l.live = map[string]*testenv.LiveInstance{}
	}
	l.live[id] = inst
	l.closers = append(l.closers, inst.Stop)
}

// liveInstance returns the running instance id, if the lab booted it and
// has not killed it.
func (l *Lab) liveInstance(id string) (*testenv.LiveInstance, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	inst, ok := l.live[id]
	return inst, ok
}

// stopInstance ends instance id's namespace, and so its mounts, as
// termination ends an instance; an instance the lab never booted has
// nothing to stop.
func (l *Lab) stopInstance(id string) error {
	l.mu.Lock()
	inst, ok := l.live[id]
	delete(l.live, id)
	l.mu.Unlock()
	if !ok {
		return nil
	}
	if err := inst.Stop(); err != nil {
		return fmt.Errorf("stopping terminated %s: %w", id, err)
	}
	return nil
}
