package components_test

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
)

// A development box reachable as dev.example.com, running on weekdays from
// 08:00 to 19:00 Berlin time, that mails the team whenever it is replaced.
func ExampleNewSelfHealingInstance_options() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		box, err := components.NewSelfHealingInstance(ctx, "devbox", &components.SelfHealingInstanceArgs{
			DNS: &components.DNSArgs{ZoneID: pulumi.String("Z0123456789ABCDEFGHIJ"), RecordName: "dev.example.com"},
			Schedule: &components.ScheduleArgs{
				Stop: "0 19 * * MON-FRI", Start: "0 8 * * MON-FRI", TimeZone: "Europe/Berlin",
			},
			Notifications: &components.NotificationsArgs{Email: "team@example.com"},
		})
		if err != nil {
			return err
		}
		ctx.Export("url", box.URL)
		ctx.Export("topic", box.NotificationTopicArn)
		return nil
	})
}
