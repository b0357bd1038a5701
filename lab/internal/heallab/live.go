package heallab

import (
	"errors"
	"fmt"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
)

// Each booted instance stays up, in its own mount namespace, until the lab
// kills it: what its boot mounted (the data volume) stays mounted until
// then, and the lab can act on it meanwhile (WriteVolumeFile), as an
// application on it would. Its metadata service stays up as long, as on
// EC2: the AWS CLI on the instance takes its credentials from it at every
// call, the health check's included.

// running is one booted instance that has not been killed.
type running struct {
	inst *emulator.LiveInstance
	// env is the environment its boot ran with, which whatever else runs
	// on it (the health check) gets too.
	env []string
	// closeMetadata stops its metadata service.
	closeMetadata func() error
	// lifecycle is the front that says its target lifecycle state, if
	// its boot set one (BootOptions.LifecycleState).
	lifecycle *emulator.LifecycleFront
}

// trackInstance records a booted instance as running, and makes Close stop
// it.
func (l *Lab) trackInstance(id string, r running) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.live == nil {
		l.live = map[string]running{}
	}
	l.live[id] = r
	l.closers = append(l.closers, r.stop)
}

// stop ends the instance and then its metadata service. It is idempotent,
// as Lab.Close may call it after stopInstance did.
func (r running) stop() error {
	return errors.Join(r.inst.Stop(), r.closeMetadata())
}

// liveInstance returns the running instance id, if the lab booted it and
// has not killed it.
func (l *Lab) liveInstance(id string) (*emulator.LiveInstance, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.live[id]
	return r.inst, ok
}

// setLifecycleState makes instance id's metadata say state at
// autoscaling/target-lifecycle-state, as when the group takes it out of a
// warm pool of running instances; it must have booted with a
// BootOptions.LifecycleState.
func (l *Lab) setLifecycleState(id, state string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.live[id]
	if !ok || r.lifecycle == nil {
		return fmt.Errorf("instance %s is not running with a lifecycle state of the lab's", id)
	}
	r.lifecycle.Set(state)
	return nil
}

// instanceEnv returns the environment instance id booted with, if the lab
// booted it and has not killed it.
func (l *Lab) instanceEnv(id string) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.live[id]
	if !ok {
		return nil, fmt.Errorf("instance %s is not running in this lab", id)
	}
	return append([]string{}, r.env...), nil
}

// stopInstance ends instance id's namespace, and so its mounts, and its
// metadata service, as termination ends an instance; an instance the lab
// never booted has nothing to stop.
func (l *Lab) stopInstance(id string) error {
	l.mu.Lock()
	r, ok := l.live[id]
	delete(l.live, id)
	l.mu.Unlock()
	if !ok {
		return nil
	}
	if err := r.stop(); err != nil {
		return fmt.Errorf("stopping terminated %s: %w", id, err)
	}
	return nil
}
