package heallab

import (
	"fmt"
	"strings"
	"time"
)

// The downtime section of docs/heal-report.md, which `make heal-report`
// writes from the same run (its downtime-report step), between
// DowntimeBegin and DowntimeEnd; at the end of the file if they are
// missing.
const (
	DowntimeBegin = "<!-- downtime: begin; written by `make downtime-report`, which `make heal-report` runs -->"
	DowntimeEnd   = "<!-- downtime: end -->"
)

// DowntimeSection is the report's downtime section for ds.
func DowntimeSection(ds []Downtime) string {
	var b strings.Builder
	b.WriteString("## Downtime, seen from outside\n\n")
	b.WriteString("One run of `make downtime-report` on " + time.Now().UTC().Format("2006-01-02") + ". ")
	b.WriteString("A client outside every instance asks the stack's address every " + fmt.Sprint(ClientInterval.Milliseconds()) + " ms for the whole run, " +
		"every " + fmt.Sprint(clientWriteEvery) + "th request a write. The address leads to whichever instance moto says holds the Elastic IP " +
		"(asked every interval, apart from the requests, so a request is routed by a lookup one interval old, more when moto answers slowly), " + EIPEdge.Full.String() + " after the holder changes (`" + EIPEdge.Name + "`, below). " +
		"The application is a real server the stack's user script starts on each instance: it answers with its instance id and a counter, " +
		"and acknowledges a write only once the counter is on disk (on the data volume when the stack has one, else in `/var/lib`).\n\n")
	b.WriteString("- **refused**: the time without answers, from the last answer before the event to the first after it.\n" +
		"- **longest gap**: the longest time between two answers.\n" +
		"- **modelled share**: how much of *refused* is AWS's own time, which the lab cannot run (below), and, for `app-dies`, the health check's interval: " +
		"the lab waits " + fmt.Sprintf("%g", ModelledTimeScale) + " of each and reports it at its full length. The rest is measured here, on a shared machine against emulators.\n" +
		"- **lost writes**: of the writes the old instance acknowledged, those the replacement's counter does not include. " +
		"Without a data volume the counter is on the instance's own disk, which goes with it.\n" +
		"- **way**: `ours` is the group's own replacement as the component configures it: without a data volume it launches first " +
		"(instance maintenance policy and instance refresh at MinHealthyPercentage 100, MaxHealthyPercentage 200, and Capacity Rebalancing for Spot): " +
		"the new instance boots beside the old one, takes the Elastic IP last, and only then is the old one terminated. " +
		"With a data volume a failed instance is terminated first (maintenance policy 0/100), and a planned replacement (a rollout, a rebalance) launches first: " +
		"the new instance completes its launch gate as soon as it finds the volume on an instance in service, the old one hands the volume over at its termination hook " +
		"(stop script, unmount, detach), and the new one attaches it, starts the application and takes the address. " +
		"`terminate-first` is the same stack, in the same run, with the replacement terminate first, as before: every event without a data volume, the planned ones with one; " +
		"a `terminated` event has nothing to launch first, so its two rows differ only by chance. " +
		"`seed` is the seed article's user data as published, in the stack shaped for it (no data volume, no launch gate, no health check), " +
		"followed by the same application's start, as a user of the article would add theirs; it has no `app-dies` row, since nothing there notices a dead application. " +
		"An event named `-warm-pool` is played on the same stack with `warmPool: true`: before the event, outside the measured time, an instance boots into the warm pool " +
		"(its metadata saying `" + warmedStopped + "`: it installs what needs neither the volume nor the address, completes the launch gate, and is stopped); " +
		"at the event the group starts that instance instead of launching one (`" + WarmPoolStart.Name + "` instead of `" + Launch.Name + "`), and its boot script runs again, now in service. " +
		"`-warm-pool-running` is the same with `warmPoolState: Running`: the pool keeps the instance running (`" + warmedRunning + "`), nothing boots it again, " +
		"and the watcher its boot in the pool started runs the boot script once its metadata says `InService`.\n\n")
	b.WriteString("Events: `terminated`, the instance is terminated; `app-dies`, the application is killed and the stack's health check " +
		fmt.Sprintf("(every %d s, %d failures)", AppHealthCheckInterval, AppHealthCheckThreshold) +
		" marks the instance unhealthy, modelled as the longest wait, two whole intervals; `impaired`, the application is frozen (it accepts connections, never answers) and Auto Scaling replaces the instance after `" +
		ImpairmentNoticed.Name + "`; `rollout`, a new launch template version, executed by the group's instance refresh; " +
		"`rebalance`, a Spot rebalance recommendation arriving with the two-minute interruption notice (it can come no earlier), played on this On-Demand lab stack as on the same stack with Spot: " +
		"launch first, Capacity Rebalancing replaces the instance at once; terminate first, the instance serves out `" + SpotInterruptionNotice.Name + "`, is interrupted and then replaced.\n\n" +
		"Targets: without a data volume, a rollout and a rebalance refuse requests for at most the Elastic IP's move plus one probe interval (" +
		fmt.Sprint(ClientInterval.Milliseconds()) + " ms), the move itself being `" + EIPEdge.Name + "` on AWS (below), which AWS does not document: an assumption; " +
		"with one, for no longer than the modelled detach and attach plus the measured mount, application start and address move, and at least 3 times shorter than terminate first.\n\n")
	b.WriteString(scheduleAndZoneReport())
	b.WriteString(DowntimeTable(ds))
	b.WriteString("\nAWS's times the lab models (`lab/internal/heallab/awstimes.go`):\n\n| time | length | source |\n|---|---:|---|\n")
	for _, t := range AWSTimes() {
		src := ""
		for _, u := range strings.Fields(t.Source) {
			src += " <" + u + ">"
		}
		if t.Assumption {
			src = "assumption; see" + src
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", t.Name, t.Full, strings.TrimSpace(src))
	}
	b.WriteString("\nThe lab does not model the group's health check grace period: on AWS a report within it of the instance going in service is ignored, so the `app-dies` rows are for an application that dies after it. " +
		"A rollout here gives the group a copy of its launch template, standing in for a new version, which the emulator cannot launch from. " +
		"The lab's health-check replacement launches first only in these downtime runs; elsewhere its Auto Scaling model terminates first.\n")
	return b.String()
}

// ReplaceDowntime returns text with its downtime section replaced by
// section, or section appended if text has none.
func ReplaceDowntime(text, section string) string {
	block := DowntimeBegin + "\n" + section + DowntimeEnd + "\n"
	head, rest, ok := strings.Cut(text, DowntimeBegin)
	if !ok {
		return strings.TrimRight(text, "\n") + "\n\n" + block
	}
	_, tail, ok := strings.Cut(rest, DowntimeEnd+"\n")
	if !ok {
		return head + block
	}
	return head + block + tail
}
