package emulator

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// EC2 volume errors, with the codes and messages AWS answers.
var (
	// VolumeInUse answers AttachVolume for a volume attached elsewhere.
	VolumeInUse = APIError{http.StatusBadRequest, "VolumeInUse", "%s is already attached to an instance"}
	// VolumeIncorrectState answers AttachVolume for a volume still
	// detaching.
	VolumeIncorrectState = APIError{http.StatusBadRequest, "IncorrectState", "vol '%s' is not 'available'."}
	// VolumeZoneMismatch answers AttachVolume across availability zones.
	VolumeZoneMismatch = APIError{http.StatusBadRequest, "InvalidVolume.ZoneMismatch", "The volume '%s' is not in the same availability zone as instance '%s'"}
	// AttachmentNotFound answers DetachVolume naming an instance the
	// volume is not attached to.
	AttachmentNotFound = APIError{http.StatusBadRequest, "InvalidAttachment.NotFound", "Volume '%s' is not attached to instance '%s'"}
)

// DefaultDetachDelay is how long a held volume stays "detaching" after a
// forced DetachVolume before the model reports it available.
const DefaultDetachDelay = time.Second

// ebsCallTimeout bounds the model's own calls to moto.
const ebsCallTimeout = 15 * time.Second

// EBSModel makes EC2's volume API as strict as AWS's where moto 5.2.1 is
// lenient. It is an HTTP server to put between a [FaultProxy] and moto
// (NewFaultProxy(t, model.URL)), so that an inspector on the proxy, such as
// an IAM check, still sees every request first. It forwards everything to
// moto except that:
//
//   - AttachVolume is refused with VolumeInUse for a volume moto has
//     attached to any instance (moto would silently move it), with
//     IncorrectState or VolumeInUse for a volume the model holds (see
//     [EBSModel.Hold]), and with InvalidVolume.ZoneMismatch when the
//     volume and the instance are in different availability zones (moto
//     ignores zones);
//   - DescribeVolumes naming held volumes by id is answered by the model:
//     moto's description (its snapshot id and tags included), with each
//     held volume in-use and attached to its holder. Requests with filters, or naming no held volume, go to
//     moto unchanged;
//   - DetachVolume of a held volume is answered by the model: with Force,
//     the volume turns available [EBSModel.DetachDelay] later, as a forced
//     detach ends a stuck one. Every DetachVolume is counted
//     ([EBSModel.DetachCalls]).
//
// It holds network interfaces as it holds volumes, and is as strict with
// them; see eni.go.
//
// The model asks moto directly (not through itself) for volumes' and
// instances' state, with the configuration it was started with. All
// methods are safe for concurrent use.
type EBSModel struct {
	// URL is the model's base URL, http://127.0.0.1:PORT.
	URL string
	// DetachDelay is how long a held volume keeps detaching after a
	// forced DetachVolume; DefaultDetachDelay unless changed before use.
	DetachDelay time.Duration
	// CleanDetachDelay, if positive, is how long an attached volume keeps
	// detaching after a DetachVolume of it that moto accepted (moto
	// detaches at once; EBS takes a while). Zero leaves it to moto. Set it
	// before use.
	CleanDetachDelay time.Duration

	ec2   *ec2.Client
	proxy *httputil.ReverseProxy
	srv   *httptest.Server
	now   func() time.Time

	mu          sync.Mutex
	holds       map[string]*volumeHold
	released    map[string]time.Time
	detachCalls int
	// interfaceDetachCalls counts DetachNetworkInterface (see eni.go).
	interfaceDetachCalls int
	onAttach             func(volumeID, instanceID, device string)
	history              []VolumeEvent
}

// VolumeEvent is an attachment the model let through, or a detachment it
// was asked for: the history of who held which volume.
type VolumeEvent struct {
	Time             time.Time
	Volume, Instance string
	// Kind is "attach" (an AttachVolume moto accepted) or "detach" (a
	// DetachVolume, Forced or not, that was accepted).
	Kind   string
	Forced bool
}

// History returns the attachments and detachments the model let through,
// in order.
func (m *EBSModel) History() []VolumeEvent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]VolumeEvent(nil), m.history...)
}

// record appends an event to the history.
func (m *EBSModel) record(e VolumeEvent) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e.Time = m.now()
	m.history = append(m.history, e)
}

// VolumeHold is how the model reports a held volume.
type VolumeHold struct {
	// Instance is the instance the volume is reported attached to.
	Instance string
	// State is the attachment's state: "detaching" (the default) for a
	// volume whose instance is gone but whose detachment is not done, or
	// "attached".
	State string
	// Device is the attachment's device name; "/dev/sdf" if empty.
	Device string
	// For is how long the hold lasts from the call to Hold; then the
	// volume is reported as moto sees it (available, unless something
	// attached it in moto). Zero holds it until a forced DetachVolume.
	For time.Duration
	// FromFirstDescribe starts For's clock at the first DescribeVolumes
	// the model answers for the volume, not at Hold: a test that must see
	// a boot wait for the volume then sees it however slowly the machine
	// gets the boot to its first look.
	FromFirstDescribe bool
}

// volumeHold is a hold in force.
type volumeHold struct {
	VolumeHold
	until   time.Time // zero: until a forced detach, or not started yet
	started bool      // For's clock runs
}

// StartEBSModel starts an [EBSModel] like [StartEBSModelE] and registers a
// t.Cleanup that closes it.
func StartEBSModel(t testing.TB, motoURL string, cfg aws.Config) *EBSModel {
	t.Helper()
	m, err := StartEBSModelE(motoURL, cfg)
	if err != nil {
		t.Fatalf("StartEBSModel: %v", err)
	}
	t.Cleanup(m.Close)
	return m
}

// StartEBSModelE starts an [EBSModel] on a free loopback port in front of
// moto at motoURL, which it asks about volumes and instances with cfg
// (usually [Moto.AWSConfig], or an administrator's configuration when
// moto enforces IAM). The caller must Close it.
func StartEBSModelE(motoURL string, cfg aws.Config) (*EBSModel, error) {
	u, l, err := listenInFront("EBS model: moto", motoURL)
	if err != nil {
		return nil, err
	}
	m := &EBSModel{
		DetachDelay: DefaultDetachDelay,
		ec2:         ec2.NewFromConfig(cfg),
		now:         time.Now,
		holds:       map[string]*volumeHold{},
		released:    map[string]time.Time{},
	}
	m.proxy = forwardSigned(u)
	m.srv = serveOn(l, m)
	m.URL = m.srv.URL
	return m, nil
}

// Close stops the model and waits for requests in flight.
func (m *EBSModel) Close() {
	m.srv.Close()
}

// Hold makes the model report volumeID (or a network interface's id; see
// eni.go) as in-use, attached to h.Instance,
// until h.For has passed or, if it is zero, until a forced DetachVolume.
// Meanwhile AttachVolume of it is refused. The volume should be available
// in moto. Hold replaces any earlier hold of the volume.
func (m *EBSModel) Hold(volumeID string, h VolumeHold) {
	if h.State == "" {
		h.State = "detaching"
	}
	if h.Device == "" {
		h.Device = "/dev/sdf"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	hold := &volumeHold{VolumeHold: h}
	if h.For > 0 && !h.FromFirstDescribe {
		hold.start(m.now())
	}
	m.holds[volumeID] = hold
	delete(m.released, volumeID)
}

// ReleasedAt returns when the model stopped holding volumeID, by time or by
// a forced detach; ok is false while it is held, or if it never was.
func (m *EBSModel) ReleasedAt(volumeID string) (at time.Time, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expireLocked()
	at, ok = m.released[volumeID]
	return at, ok
}

// DetachCalls returns how many DetachVolume requests the model received.
func (m *EBSModel) DetachCalls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.detachCalls
}

// OnAttach sets a function the model calls after moto accepted an
// AttachVolume and the answer went back to the caller, as the device then
// appears on the instance: a test exposes the stand-in device there.
func (m *EBSModel) OnAttach(f func(volumeID, instanceID, device string)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.onAttach = f
}

// start starts the hold's clock at now.
func (h *volumeHold) start(now time.Time) {
	h.until, h.started = now.Add(h.For), true
}

// expireLocked ends the holds whose time is up. m.mu must be held.
func (m *EBSModel) expireLocked() {
	now := m.now()
	for id, h := range m.holds {
		if !h.until.IsZero() && !now.Before(h.until) {
			m.released[id] = h.until
			delete(m.holds, id)
		}
	}
}

// heldLocked returns volumeID's hold in force, or nil. m.mu must be held.
func (m *EBSModel) heldLocked(volumeID string) *volumeHold {
	m.expireLocked()
	return m.holds[volumeID]
}

// ServeHTTP implements http.Handler.
func (m *EBSModel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	action, form, ok := readAction(w, r, "EBS model")
	if !ok {
		return
	}
	switch action {
	case "AttachVolume":
		if apiErr := m.checkAttach(r.Context(), form); apiErr != nil {
			writeAPIError(w, r, *apiErr)
			return
		}
		rec := &statusRecorder{ResponseWriter: w}
		m.proxy.ServeHTTP(rec, r)
		m.mu.Lock()
		onAttach := m.onAttach
		m.mu.Unlock()
		if rec.status == http.StatusOK {
			m.record(VolumeEvent{Volume: form.Get("VolumeId"), Instance: form.Get("InstanceId"), Kind: "attach"})
		}
		if rec.status == http.StatusOK && onAttach != nil {
			onAttach(form.Get("VolumeId"), form.Get("InstanceId"), form.Get("Device"))
		}
		return
	case "DetachVolume":
		if m.detach(w, r, form) {
			return
		}
		m.cleanDetach(w, r, form)
		return
	case "DescribeVolumes":
		if m.describeVolumes(w, r, form) {
			return
		}
	default:
		if m.serveInterface(w, r, action, form) {
			return
		}
	}
	m.proxy.ServeHTTP(w, r)
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// checkAttach returns the error AWS would answer AttachVolume with where
// moto would not, or nil to let moto decide.
func (m *EBSModel) checkAttach(ctx context.Context, form url.Values) *APIError {
	volumeID, instanceID := form.Get("VolumeId"), form.Get("InstanceId")
	m.mu.Lock()
	hold := m.heldLocked(volumeID)
	m.mu.Unlock()
	if hold != nil {
		if hold.State == "detaching" {
			return apiErrorf(VolumeIncorrectState, volumeID)
		}
		return apiErrorf(VolumeInUse, volumeID)
	}
	ctx, cancel := context.WithTimeout(ctx, ebsCallTimeout)
	defer cancel()
	volumes, err := m.ec2.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{volumeID}})
	if err != nil || len(volumes.Volumes) != 1 {
		return nil // moto answers an unknown volume itself
	}
	volume := volumes.Volumes[0]
	if volume.State == types.VolumeStateInUse || len(volume.Attachments) > 0 {
		return apiErrorf(VolumeInUse, volumeID)
	}
	instances, err := m.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{instanceID}})
	if err != nil || len(instances.Reservations) != 1 || len(instances.Reservations[0].Instances) != 1 {
		return nil
	}
	instance := instances.Reservations[0].Instances[0]
	if instance.Placement != nil && aws.ToString(instance.Placement.AvailabilityZone) != aws.ToString(volume.AvailabilityZone) {
		return apiErrorf(VolumeZoneMismatch, volumeID, instanceID)
	}
	return nil
}

// apiErrorf returns e with its message formatted with args.
func apiErrorf(e APIError, args ...any) *APIError {
	e.Message = fmt.Sprintf(e.Message, args...)
	return &e
}

// detach counts a DetachVolume and answers it if the volume is held,
// reporting whether it did.
func (m *EBSModel) detach(w http.ResponseWriter, r *http.Request, form url.Values) bool {
	volumeID, instanceID := form.Get("VolumeId"), form.Get("InstanceId")
	m.mu.Lock()
	defer m.mu.Unlock()
	m.detachCalls++
	hold := m.heldLocked(volumeID)
	if hold == nil {
		return false
	}
	if instanceID != "" && instanceID != hold.Instance {
		writeAPIError(w, r, *apiErrorf(AttachmentNotFound, volumeID, instanceID))
		return true
	}
	forced := strings.EqualFold(form.Get("Force"), "true")
	if forced {
		hold.until = m.now().Add(m.DetachDelay)
	}
	hold.State = "detaching"
	m.history = append(m.history, VolumeEvent{Time: m.now(), Volume: volumeID, Instance: hold.Instance, Kind: "detach", Forced: forced})
	writeXML(w, detachVolumeResponse{
		Xmlns: ec2Namespace, RequestID: requestID(),
		VolumeID: volumeID, InstanceID: hold.Instance, Device: hold.Device, Status: hold.State,
	})
	return true
}

// cleanDetach forwards a DetachVolume of a volume the model does not hold
// to moto, records it if moto took it, and, with CleanDetachDelay, holds
// the volume detaching from its instance for that long, as EBS takes a
// while to detach a volume.
func (m *EBSModel) cleanDetach(w http.ResponseWriter, r *http.Request, form url.Values) {
	volumeID, instanceID := form.Get("VolumeId"), form.Get("InstanceId")
	holder := instanceID
	if holder == "" {
		ctx, cancel := context.WithTimeout(r.Context(), ebsCallTimeout)
		out, err := m.ec2.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{volumeID}})
		cancel()
		if err == nil && len(out.Volumes) == 1 && len(out.Volumes[0].Attachments) == 1 {
			holder = aws.ToString(out.Volumes[0].Attachments[0].InstanceId)
		}
	}
	rec := &statusRecorder{ResponseWriter: w}
	m.proxy.ServeHTTP(rec, r)
	if rec.status != http.StatusOK {
		return
	}
	m.record(VolumeEvent{Volume: volumeID, Instance: holder, Kind: "detach", Forced: strings.EqualFold(form.Get("Force"), "true")})
	if m.CleanDetachDelay > 0 && holder != "" {
		m.Hold(volumeID, VolumeHold{Instance: holder, State: "detaching", For: m.CleanDetachDelay})
	}
}

// heldByID returns the ids a Describe call names by id (the form's keys
// that start with idPrefix), sorted, and those of them the model holds,
// starting each hold's clock at its first description. A call with a
// filter names none: moto answers it.
func (m *EBSModel) heldByID(form url.Values, idPrefix string) ([]string, map[string]VolumeHold) {
	var ids []string
	for key, values := range form {
		switch {
		case strings.HasPrefix(key, "Filter."):
			return nil, nil
		case strings.HasPrefix(key, idPrefix):
			ids = append(ids, values...)
		}
	}
	sort.Strings(ids)
	m.mu.Lock()
	defer m.mu.Unlock()
	held := map[string]VolumeHold{}
	for _, id := range ids {
		if h := m.heldLocked(id); h != nil {
			if h.For > 0 && !h.started {
				h.start(m.now())
			}
			held[id] = h.VolumeHold
		}
	}
	return ids, held
}

// describeVolumes answers DescribeVolumes if it names a held volume by id,
// reporting whether it did.
func (m *EBSModel) describeVolumes(w http.ResponseWriter, r *http.Request, form url.Values) bool {
	ids, held := m.heldByID(form, "VolumeId.")
	if len(held) == 0 {
		return false
	}
	ctx, cancel := context.WithTimeout(r.Context(), ebsCallTimeout)
	defer cancel()
	out, err := m.ec2.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: ids})
	if err != nil {
		return false // let moto answer with its own error
	}
	resp := describeVolumesResponse{Xmlns: ec2Namespace, RequestID: requestID()}
	for _, v := range out.Volumes {
		item := xmlVolume{
			VolumeID:         aws.ToString(v.VolumeId),
			Size:             aws.ToInt32(v.Size),
			SnapshotID:       aws.ToString(v.SnapshotId),
			AvailabilityZone: aws.ToString(v.AvailabilityZone),
			Status:           string(v.State),
			CreateTime:       aws.ToTime(v.CreateTime).UTC().Format(time.RFC3339),
			VolumeType:       string(v.VolumeType),
			Encrypted:        aws.ToBool(v.Encrypted),
		}
		for _, tag := range v.Tags {
			item.Tags = append(item.Tags, xmlTag{Key: aws.ToString(tag.Key), Value: aws.ToString(tag.Value)})
		}
		for _, a := range v.Attachments {
			item.Attachments = append(item.Attachments, xmlAttachment{
				VolumeID: aws.ToString(a.VolumeId), InstanceID: aws.ToString(a.InstanceId),
				Device: aws.ToString(a.Device), Status: string(a.State),
			})
		}
		if h, ok := held[item.VolumeID]; ok {
			item.Status = string(types.VolumeStateInUse)
			item.Attachments = []xmlAttachment{{
				VolumeID: item.VolumeID, InstanceID: h.Instance, Device: h.Device, Status: h.State,
			}}
		}
		resp.Volumes = append(resp.Volumes, item)
	}
	writeXML(w, resp)
	return true
}

// ec2Namespace is the XML namespace of EC2's 2016-11-15 API answers.
const ec2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"

type describeVolumesResponse struct {
	XMLName   xml.Name    `xml:"DescribeVolumesResponse"`
	Xmlns     string      `xml:"xmlns,attr"`
	RequestID string      `xml:"requestId"`
	Volumes   []xmlVolume `xml:"volumeSet>item"`
}

type xmlVolume struct {
	VolumeID         string          `xml:"volumeId"`
	Size             int32           `xml:"size"`
	SnapshotID       string          `xml:"snapshotId"`
	AvailabilityZone string          `xml:"availabilityZone"`
	Status           string          `xml:"status"`
	CreateTime       string          `xml:"createTime"`
	Attachments      []xmlAttachment `xml:"attachmentSet>item"`
	VolumeType       string          `xml:"volumeType"`
	Encrypted        bool            `xml:"encrypted"`
	Tags             []xmlTag        `xml:"tagSet>item"`
}

type xmlTag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type xmlAttachment struct {
	VolumeID   string `xml:"volumeId"`
	InstanceID string `xml:"instanceId"`
	Device     string `xml:"device"`
	Status     string `xml:"status"`
}

type detachVolumeResponse struct {
	XMLName    xml.Name `xml:"DetachVolumeResponse"`
	Xmlns      string   `xml:"xmlns,attr"`
	RequestID  string   `xml:"requestId"`
	VolumeID   string   `xml:"volumeId"`
	InstanceID string   `xml:"instanceId"`
	Device     string   `xml:"device"`
	Status     string   `xml:"status"`
}

// writeXML answers 200 OK with v as an EC2 XML document.
func writeXML(w http.ResponseWriter, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, "EBS model: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	_, _ = io.WriteString(w, xml.Header+string(b))
}

// CreateVolume creates an encrypted gp3 volume of sizeGiB in zone and
// returns its id.
func CreateVolume(ctx context.Context, cfg aws.Config, zone string, sizeGiB int32) (string, error) {
	out, err := ec2.NewFromConfig(cfg).CreateVolume(ctx, &ec2.CreateVolumeInput{
		AvailabilityZone: aws.String(zone),
		Size:             aws.Int32(sizeGiB),
		VolumeType:       types.VolumeTypeGp3,
		Encrypted:        aws.Bool(true),
	})
	if err != nil {
		return "", fmt.Errorf("create volume in %s: %w", zone, err)
	}
	return aws.ToString(out.VolumeId), nil
}

// InstanceZone returns the availability zone moto placed instanceID in.
func InstanceZone(ctx context.Context, cfg aws.Config, instanceID string) (string, error) {
	out, err := ec2.NewFromConfig(cfg).DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{instanceID}})
	if err != nil {
		return "", fmt.Errorf("describe instance %s: %w", instanceID, err)
	}
	if len(out.Reservations) != 1 || len(out.Reservations[0].Instances) != 1 || out.Reservations[0].Instances[0].Placement == nil {
		return "", fmt.Errorf("describe instance %s: no placement", instanceID)
	}
	return aws.ToString(out.Reservations[0].Instances[0].Placement.AvailabilityZone), nil
}

// VolumeAttachment returns the instance volumeID is attached to in moto and
// the attachment's state, or "" and "" if it is not attached.
func VolumeAttachment(ctx context.Context, cfg aws.Config, volumeID string) (instanceID, state string, err error) {
	out, err := ec2.NewFromConfig(cfg).DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{volumeID}})
	if err != nil {
		return "", "", fmt.Errorf("describe volume %s: %w", volumeID, err)
	}
	if len(out.Volumes) != 1 {
		return "", "", fmt.Errorf("describe volume %s: got %d volumes", volumeID, len(out.Volumes))
	}
	for _, a := range out.Volumes[0].Attachments {
		return aws.ToString(a.InstanceId), string(a.State), nil
	}
	return "", "", nil
}

// AttachVolume attaches volumeID to instanceID as device in moto, to set up
// a volume that another instance holds.
func AttachVolume(ctx context.Context, cfg aws.Config, volumeID, instanceID, device string) error {
	_, err := ec2.NewFromConfig(cfg).AttachVolume(ctx, &ec2.AttachVolumeInput{
		VolumeId: aws.String(volumeID), InstanceId: aws.String(instanceID), Device: aws.String(device),
	})
	if err != nil {
		return fmt.Errorf("attach %s to %s: %w", volumeID, instanceID, err)
	}
	return nil
}

// DetachVolume detaches volumeID from instanceID in moto, as EBS does some
// time after the instance terminated.
func DetachVolume(ctx context.Context, cfg aws.Config, volumeID, instanceID string) error {
	_, err := ec2.NewFromConfig(cfg).DetachVolume(ctx, &ec2.DetachVolumeInput{
		VolumeId: aws.String(volumeID), InstanceId: aws.String(instanceID),
	})
	if err != nil {
		return fmt.Errorf("detach %s from %s: %w", volumeID, instanceID, err)
	}
	return nil
}

// CreateVolumeFromSnapshot creates a volume in zone, snapshots it, and
// restores the snapshot into a new volume of sizeGiB, as a user restoring a
// backup would. It returns the restored volume's id and the snapshot's.
func CreateVolumeFromSnapshot(ctx context.Context, cfg aws.Config, zone string, sizeGiB int32) (volumeID, snapshotID string, err error) {
	source, err := CreateVolume(ctx, cfg, zone, sizeGiB)
	if err != nil {
		return "", "", err
	}
	client := ec2.NewFromConfig(cfg)
	snap, err := client.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{VolumeId: aws.String(source)})
	if err != nil {
		return "", "", fmt.Errorf("snapshot %s: %w", source, err)
	}
	out, err := client.CreateVolume(ctx, &ec2.CreateVolumeInput{
		AvailabilityZone: aws.String(zone),
		Size:             aws.Int32(sizeGiB),
		VolumeType:       types.VolumeTypeGp3,
		Encrypted:        aws.Bool(true),
		SnapshotId:       snap.SnapshotId,
	})
	if err != nil {
		return "", "", fmt.Errorf("restore %s in %s: %w", aws.ToString(snap.SnapshotId), zone, err)
	}
	return aws.ToString(out.VolumeId), aws.ToString(snap.SnapshotId), nil
}

// TagVolume sets the tag key=value on volumeID in moto.
func TagVolume(ctx context.Context, cfg aws.Config, volumeID, key, value string) error {
	_, err := ec2.NewFromConfig(cfg).CreateTags(ctx, &ec2.CreateTagsInput{
		Resources: []string{volumeID},
		Tags:      []types.Tag{{Key: aws.String(key), Value: aws.String(value)}},
	})
	if err != nil {
		return fmt.Errorf("tag %s %s=%s: %w", volumeID, key, value, err)
	}
	return nil
}

// VolumeTag returns the value of volumeID's tag key in moto, and whether
// the volume has it.
func VolumeTag(ctx context.Context, cfg aws.Config, volumeID, key string) (value string, ok bool, err error) {
	out, err := ec2.NewFromConfig(cfg).DescribeVolumes(ctx, &ec2.DescribeVolumesInput{VolumeIds: []string{volumeID}})
	if err != nil {
		return "", false, fmt.Errorf("describe volume %s: %w", volumeID, err)
	}
	if len(out.Volumes) != 1 {
		return "", false, fmt.Errorf("describe volume %s: got %d volumes", volumeID, len(out.Volumes))
	}
	for _, tag := range out.Volumes[0].Tags {
		if aws.ToString(tag.Key) == key {
			return aws.ToString(tag.Value), true, nil
		}
	}
	return "", false, nil
}
