package program

import (
	"errors"

	"github.com/selfhealing-dev/selfhealing/components"
)

// The optional features are objects in configuration. Pulumi.yaml's default
// for each is {}, so an empty object means "off": the CLI cannot tell an
// unset key from {}. Any field set turns the feature on, and the component
// then refuses whatever is missing, rather than quietly staying off.

// dnsConfig is the dns config key.
type dnsConfig struct {
	ZoneID     string `json:"zoneId"`
	RecordName string `json:"recordName"`
	TTL        *int   `json:"ttl"`
}

// scheduleConfig is the schedule config key.
type scheduleConfig struct {
	Stop     string `json:"stop"`
	Start    string `json:"start"`
	TimeZone string `json:"timeZone"`
}

// notificationsConfig is the notifications config key. CreateTopic exists
// so that `{createTopic: true}` can ask for a topic with no subscriber.
type notificationsConfig struct {
	TopicArn    string `json:"topicArn"`
	Email       string `json:"email"`
	CreateTopic *bool  `json:"createTopic"`
}

func (r *reader) dns() *components.DNSArgs {
	var c dnsConfig
	if !r.object(KeyDNS, &c) || c == (dnsConfig{}) {
		return nil
	}
	return &components.DNSArgs{ZoneID: c.ZoneID, RecordName: c.RecordName, TTL: c.TTL}
}

func (r *reader) schedule() *components.ScheduleArgs {
	var c scheduleConfig
	if !r.object(KeySchedule, &c) || c == (scheduleConfig{}) {
		return nil
	}
	return &components.ScheduleArgs{Stop: c.Stop, Start: c.Start, TimeZone: c.TimeZone}
}

func (r *reader) notifications() *components.NotificationsArgs {
	var c notificationsConfig
	if !r.object(KeyNotifications, &c) || c == (notificationsConfig{}) {
		return nil
	}
	switch {
	case c.CreateTopic != nil && *c.CreateTopic && c.TopicArn != "":
		r.fail(KeyNotifications, errors.New("createTopic is true and topicArn is set; want one: a topic the stack creates, or an existing one"))
		return nil
	case c.CreateTopic != nil && !*c.CreateTopic && c.TopicArn == "":
		r.fail(KeyNotifications, errors.New("createTopic is false and topicArn is empty; want topicArn, createTopic: true, "+
			"or no notifications key at all to turn notifications off"))
		return nil
	}
	return &components.NotificationsArgs{TopicArn: c.TopicArn, Email: c.Email}
}
