package heallab

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// The application the downtime client talks to: a real server on each
// instance, which the stack's user script starts, as a user's would.
//
// It is a small python3 http.server (python3 is on every instance of the
// lab, as on Amazon Linux 2023). GET / answers "<instance id> <counter> <inherited>";
// POST / increments the counter durably (write, fsync, rename, fsync of
// the directory) before it answers with the new value, so a write it
// acknowledged is on disk. The counter lives on the data volume when the
// stack has one (mounted at AppVolumeMount), else in /var/lib on the
// instance's own disk. The server listens on a free loopback port, which
// it writes to AppPortFile, and its process id to AppPidFile, both on the
// instance's /run: instances share the host's network here, so each gets
// its own port, and the lab reads it there to route the stack's address.
// Each answer also carries the counter the server found on disk when it
// started, what it inherited from the instances before it: a write it does
// not include is lost, whatever the server counted since.

// AppPortFile and AppPidFile are where the application writes its port and
// process id, on the instance.
const (
	AppPortFile = "/run/lab-app.port"
	AppPidFile  = "/run/lab-app.pid"
)

// AppVolumeMount is where the dev stack mounts its data volume
// (Pulumi.dev.yaml's dataVolume.mountPath); the application keeps its
// counter there when something is mounted there.
const AppVolumeMount = "/srv/data"

// appServer is the application's source.
const appServer = `import http.server, os, sys, threading
data, iid = sys.argv[1], sys.argv[2]
path = os.path.join(data, "counter")
lock = threading.Lock()
def read():
    try:
        with open(path) as f:
            return int(f.read() or 0)
    except FileNotFoundError:
        return 0
inherited = read()
class App(http.server.BaseHTTPRequestHandler):
    def answer(self, n):
        body = ("%s %d %d\n" % (iid, n, inherited)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        with lock:
            n = read()
        self.answer(n)
    def do_POST(self):
        with lock:
            n = read() + 1
            with open(path + ".tmp", "w") as f:
                f.write(str(n))
                f.flush()
                os.fsync(f.fileno())
            os.rename(path + ".tmp", path)
            d = os.open(data, os.O_RDONLY)
            os.fsync(d)
            os.close(d)
        self.answer(n)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), App)
for name, value in (("` + AppPidFile + `", os.getpid()), ("` + AppPortFile + `", server.server_address[1])):
    with open(name + ".tmp", "w") as f:
        f.write(str(value))
    os.rename(name + ".tmp", name)
server.serve_forever()
`

// appUserScript is the stack's user script: it reads the instance id our
// boot script wrote and starts the application (appStart).
var appUserScript = "#!/bin/bash\nset -euo pipefail\n" +
	"echo \"user script: running on $(cat /proc/sys/kernel/hostname)\"\ntouch " + InstanceMarker + "\n" +
	"read -r iid _ </run/selfhealing/instance\n" + appStart

// seedAppTail follows the seed's published user data on its instances in
// a downtime run, as a user of the seed article would add their
// application to it: the seed script has set INSTANCE_ID.
const seedAppTail = "iid=$INSTANCE_ID\n" + appStart

// appStart starts the application of instance $iid in the background and
// waits, bounded, until it listens. The server stays in the instance's
// process group, so it ends with the instance.
const appStart = "data=/var/lib/lab-app\nif mountpoint -q " + AppVolumeMount + "; then data=" + AppVolumeMount + "/lab-app; fi\n" +
	"mkdir -p \"$data\" /usr/local/lib\n" +
	"cat >/usr/local/lib/lab-app.py <<'PY'\n" + appServer + "PY\n" +
	"rm -f " + AppPortFile + "\n" +
	"python3 /usr/local/lib/lab-app.py \"$data\" \"$iid\" </dev/null >/var/log/lab-app.log 2>&1 &\n" +
	"for _ in $(seq 100); do [[ -s " + AppPortFile + " ]] && exit 0; sleep 0.1; done\n" +
	"echo 'the application did not start listening within 10 s' >&2; cat /var/log/lab-app.log >&2; exit 1\n"

// DowntimeOverrides deploy the dev stack with the application as its user
// script and an appHealthCheck that asks it over HTTP, with or without
// the data volume.
func DowntimeOverrides(volume bool) map[string]string {
	o := StandInOverrides()
	o["selfhealing:userScript"] = appUserScript
	o["selfhealing:appHealthCheck"] = fmt.Sprintf(`{"command": "curl -fsS -m 2 -o /dev/null http://127.0.0.1:$(cat %s)/", "intervalSeconds": %d, "timeoutSeconds": 2, "failureThreshold": %d}`,
		AppPortFile, AppHealthCheckInterval, AppHealthCheckThreshold)
	if !volume {
		o["selfhealing:dataVolume"] = Unset
	}
	return o
}

// appPort returns the port inst's application listens on, once it wrote
// it.
func (l *Lab) appPort(id string) (int, error) {
	return l.readAppFile(id, AppPortFile)
}

func (l *Lab) readAppFile(id, name string) (int, error) {
	root, err := l.instanceRoot(Instance{ID: id})
	if err != nil {
		return 0, err
	}
	text, err := os.ReadFile(root.Path(name))
	if err != nil {
		return 0, fmt.Errorf("the application on %s: %w", id, err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(text)))
	if err != nil {
		return 0, fmt.Errorf("the application on %s: %s: %w", id, name, err)
	}
	return n, nil
}

// signalApp sends sig to the application on instance id: SIGKILL kills
// it, SIGSTOP freezes it, so that it accepts connections and never
// answers, as an impaired instance.
func (l *Lab) signalApp(id string, sig syscall.Signal) error {
	pid, err := l.readAppFile(id, AppPidFile)
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("sending %v to the application on %s (pid %d): %w", sig, id, pid, err)
	}
	return nil
}

// seedTail is what follows the seed's published user data: the
// application's start during a downtime run of the seed, else nothing.
func (l *Lab) seedTail() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.seedApp {
		return nil
	}
	return []byte("\n" + seedAppTail)
}

// DowntimeSeedOverrides deploy the stack shaped for the seed
// (SeedStackOverrides: no data volume, no launch gate) for a downtime run
// of the seed's script, which starts the application itself (seedAppTail):
// the seed runs no user script.
func DowntimeSeedOverrides() map[string]string {
	return SeedStackOverrides()
}
