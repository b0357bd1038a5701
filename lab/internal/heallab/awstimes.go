package heallab

import "time"

// AWS's own times, which the lab cannot run: every one the lab models is
// here, with its source, or marked as an assumption. The lab waits each
// out scaled by ModelledTimeScale, to keep runs short, and reports it at
// its full length (see downtime.go).

// AWSTime is one time AWS takes that the lab models.
type AWSTime struct {
	// Name keys it in reports.
	Name string
	// Full is its modelled length on AWS.
	Full time.Duration
	// Source is the AWS documentation or published measurement it rests
	// on, a followable URL.
	Source string
	// Assumption reports that no source states the figure: it is the
	// lab's choice, and Source says what bounds it, if anything.
	Assumption bool
}

// ModelledTimeScale is how much of each AWSTime the lab waits in real
// time: the waits keep the order of events, the reports their full length.
const ModelledTimeScale = 0.05

// Scaled is how long the lab waits for t.
func (t AWSTime) Scaled() time.Duration {
	return time.Duration(float64(t.Full) * ModelledTimeScale)
}

const (
	healthChecksDoc   = "https://docs.aws.amazon.com/autoscaling/ec2/userguide/health-checks-overview.html"
	statusChecksDoc   = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-system-instance-status-check.html"
	launchTimesBlog   = "https://www.martysweet.co.uk/ec2-launch-times/"
	ebsDetachDoc      = "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-detaching-volume.html"
	eipDoc            = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/elastic-ip-addresses-eip.html"
	instanceRefresh   = "https://docs.aws.amazon.com/autoscaling/ec2/userguide/instance-refresh-overview.html"
	terminateDocPage  = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/how-ec2-instance-termination-works.html"
	capacityRebalance = "https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-capacity-rebalancing.html"
	spotNoticeDoc     = "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instance-termination-notices.html"
	scheduledDoc      = "https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-scheduled-scaling.html"
	warmPoolsDoc      = "https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-warm-pools.html"
)

var (
	// TerminationNoticed: from an instance's termination to the group
	// launching its replacement. The Auto Scaling User Guide: an instance
	// that is not running is replaced at once.
	TerminationNoticed = AWSTime{Name: "termination-noticed", Full: 0, Source: healthChecksDoc}
	// ImpairmentNoticed: from an instance failing its status checks to
	// Auto Scaling terminating it. EC2 runs the status checks every minute
	// (statusChecksDoc); the Auto Scaling User Guide says an impaired
	// instance is marked unhealthy after "a few minutes", with no figure.
	ImpairmentNoticed = AWSTime{Name: "impairment-noticed", Full: 3 * time.Minute, Source: healthChecksDoc + " " + statusChecksDoc, Assumption: true}
	// Launch: from the group's launch to the instance running (pending).
	Launch = AWSTime{Name: "launch", Full: 15 * time.Second, Source: launchTimesBlog, Assumption: true}
	// OSBoot: from running to the user data starting (firmware, kernel,
	// cloud-init).
	OSBoot = AWSTime{Name: "os-boot", Full: 15 * time.Second, Source: launchTimesBlog, Assumption: true}
	// Shutdown: from an instance refresh terminating the old instance to
	// the instance being terminated, which the lab assumes the refresh
	// waits for before it launches the next (terminate first).
	Shutdown = AWSTime{Name: "shutdown", Full: 20 * time.Second, Source: instanceRefresh + " " + terminateDocPage, Assumption: true}
	// EBSDetach: how long a terminated instance's data volume stays
	// in-use (detaching). EBS detaches it gradually, in a time it does not
	// document; this is DefaultVolumeHeld.
	EBSDetach = AWSTime{Name: "ebs-detach", Full: DefaultVolumeHeld, Source: ebsDetachDoc, Assumption: true}
	// EIPEdge: from AssociateAddress succeeding to traffic to the address
	// reaching the new instance. Not documented.
	EIPEdge = AWSTime{Name: "eip-edge", Full: 2 * time.Second, Source: eipDoc, Assumption: true}
	// ScheduleLateness: from a scheduled action's time to Auto Scaling
	// running it. The Auto Scaling User Guide: actions may run up to 2
	// minutes late; the lab takes the bound, the worst morning.
	ScheduleLateness = AWSTime{Name: "schedule-lateness", Full: 2 * time.Minute, Source: scheduledDoc}
	// SpotInterruptionNotice: from EC2's interruption notice to its
	// interrupting the Spot instance, two minutes. Without Capacity
	// Rebalancing, Auto Scaling replaces the instance only after that
	// (capacityRebalance's note); the rebalance recommendation can arrive
	// with the notice, no earlier, which the lab plays.
	SpotInterruptionNotice = AWSTime{Name: "spot-interruption-notice", Full: 2 * time.Minute, Source: spotNoticeDoc + " " + capacityRebalance}
)

// DefaultVolumeHeld is how long the lab's EBS keeps a killed instance's
// data volume in-use, attached to it (detaching), before it becomes
// available, when KillOptions.VolumeHeldFor is zero. AWS detaches it
// "gradually", in a time it does not document; moto detaches it at once.
const DefaultVolumeHeld = 5 * time.Second

// AWSTimes lists every modelled time, for reports.
func AWSTimes() []AWSTime {
	return []AWSTime{TerminationNoticed, ImpairmentNoticed, Launch, WarmPoolStart, OSBoot, Shutdown, EBSDetach, EIPEdge, SpotInterruptionNotice, ScheduleLateness}
}
