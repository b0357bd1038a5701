package components

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/autoscaling"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// NotificationsArgs has the Auto Scaling group announce every launch and
// termination of its instance, successful or not, on an SNS topic.
type NotificationsArgs struct {
	// TopicArn is a standard SNS topic in the stack's region, such as
	// "arn:aws:sns:us-east-1:123456789012:ops" or a topic created in the
	// same program. Empty means the component creates a topic, which it
	// deletes with the stack.
	TopicArn pulumi.StringInput `pulumi:"topicArn,optional"`

	// Email, if set, is subscribed to the topic. AWS mails it a
	// confirmation link, and delivers nothing until someone follows it.
	Email string `pulumi:"email,optional"`
}

// NotificationTypes are the events the group publishes: each launch and
// termination of its instance, and each failure to launch or terminate.
var NotificationTypes = []string{
	"autoscaling:EC2_INSTANCE_LAUNCH",
	"autoscaling:EC2_INSTANCE_TERMINATE",
	"autoscaling:EC2_INSTANCE_LAUNCH_ERROR",
	"autoscaling:EC2_INSTANCE_TERMINATE_ERROR",
}

// snsTopicARN matches a standard topic's ARN: partition, region, account,
// and a name of 1 to 256 letters, digits, hyphens and underscores.
var snsTopicARN = regexp.MustCompile(`^arn:(aws[a-z-]*):sns:([a-z]{2}(?:-[a-z]+)+-[0-9]+):([0-9]{12}):([A-Za-z0-9_-]{1,256})$`)

// validate checks n's fields on their own; topicInStackRegion, at lookup,
// checks the topic against the stack's partition and region.
func (n *NotificationsArgs) validate() []error {
	if n == nil {
		return nil
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("notifications."+format, args...)) }

	if topic, known := knownString(n.TopicArn); known {
		if err := checkTopicPattern(topic); err != nil {
			errs = append(errs, err)
		}
	}
	if n.Email != "" {
		if err := checkEmail(n.Email); err != nil {
			bad("email %q: %v", n.Email, err)
		}
	}
	return errs
}

// checkEmail accepts a bare address, user@domain.example, whose domain is a
// host name with at least one dot.
func checkEmail(email string) error {
	const want = "want one bare address such as ops@example.com (no display name, no angle brackets)"
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" || addr.Address != email || len(email) > 254 {
		return fmt.Errorf("not an email address; %s", want)
	}
	domain := addr.Address[strings.LastIndex(addr.Address, "@")+1:]
	if !strings.Contains(domain, ".") || checkHostname(strings.ToLower(domain)) != nil {
		return fmt.Errorf("domain %q is not a public host name; %s", domain, want)
	}
	return nil
}

// checkTopicPattern checks the form of notifications.topicArn; "" means
// "create a topic".
func checkTopicPattern(arn string) error {
	switch {
	case arn == "":
	case strings.HasSuffix(arn, ".fifo"):
		return fmt.Errorf("notifications.topicArn %q: is a FIFO topic; Auto Scaling publishes without a message group id, so want a standard topic", arn)
	case !snsTopicARN.MatchString(arn):
		return fmt.Errorf("notifications.topicArn %q: want an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:ops, or leave it unset to create a topic", arn)
	}
	return nil
}

// topicRule is notifications.topicArn's whole rule, once the stack's
// partition and region are known. It refuses a topic in another partition
// or region than the stack's. Another partition can never work; another
// region is refused because AWS documents no cross-region delivery for
// Auto Scaling notifications, and services that publish to SNS, such as
// CloudWatch alarms, refuse topics in other regions.
func topicRule(env awsEnvironment) func(string) error {
	inRegion := topicInStackRegion(env)
	return func(arn string) error {
		if err := checkTopicPattern(arn); err != nil {
			return err
		}
		return inRegion(arn)
	}
}

// topicInStackRegion is the part of topicRule that needs the stack's
// partition and region: newPlan checked a literal's form already.
func topicInStackRegion(env awsEnvironment) func(string) error {
	return func(arn string) error {
		if arn == "" {
			return nil
		}
		m := snsTopicARN.FindStringSubmatch(arn)
		if partition, region := m[1], m[2]; partition != env.Partition || region != env.Region {
			return fmt.Errorf("notifications.topicArn %q: is in %s/%s, but the stack deploys to %s/%s; want a topic in %s, or leave it unset to create one",
				arn, partition, region, env.Partition, env.Region, env.Region)
		}
		return nil
	}
}

// notifications creates or adopts the topic, subscribes the email, and has
// the group publish to the topic, when the plan has notifications. It sets
// the NotificationTopicArn output, to "" when notifications are off.
func (b *builder) notifications(group *autoscaling.Group) error {
	ctx, c, name, n, env, tags, parent := b.ctx, b.c, b.p.name, b.p.args.Notifications, b.p.env, b.p.flows.tags, b.parent
	if n == nil {
		c.NotificationTopicArn = pulumi.String("").ToStringOutput()
		return nil
	}
	var topicArn pulumi.StringOutput
	if isSet(n.TopicArn) {
		topicArn = setString(n.TopicArn, "notifications.topicArn", "an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:ops", topicRule(env))
	} else {
		// Not KMS-encrypted, on purpose. Auto Scaling publishes through its
		// service-linked role, and the AWS managed key aws/sns cannot be
		// given to it (its key policy is AWS's to write), so an encrypted
		// topic would need a customer managed key ($1 a month) with a key
		// policy for that role. The messages carry the group's name,
		// instance ids, the Availability Zone and the cause of each
		// launch or termination: nothing secret. Bring your own encrypted
		// topic with TopicArn if you need one.
		topic, err := sns.NewTopic(ctx, name+"-events", &sns.TopicArgs{
			Tags: tags,
		}, parent)
		if err != nil {
			return fmt.Errorf("creating the notification topic: %w", err)
		}
		topicArn = topic.Arn
	}
	c.NotificationTopicArn = topicArn

	if n.Email != "" {
		_, err := sns.NewTopicSubscription(ctx, name+"-email", &sns.TopicSubscriptionArgs{
			Topic:    topicArn,
			Protocol: pulumi.String("email"),
			Endpoint: pulumi.String(n.Email),
		}, parent)
		if err != nil {
			return fmt.Errorf("subscribing %s to the notification topic: %w", n.Email, err)
		}
	}

	// Auto Scaling publishes with its own service-linked role, so neither
	// the instance nor a topic policy needs any permission for this.
	_, err := autoscaling.NewNotification(ctx, name+"-notifications", &autoscaling.NotificationArgs{
		GroupNames:    pulumi.StringArray{group.Name},
		Notifications: pulumi.ToStringArray(NotificationTypes),
		TopicArn:      topicArn,
	}, parent)
	if err != nil {
		return fmt.Errorf("configuring the group's notifications: %w", err)
	}
	return nil
}
