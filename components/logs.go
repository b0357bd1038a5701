package components

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/userdata"
)

// LogsArgs ship the instance's logs to a CloudWatch Logs group that
// outlives it: the boot script's log, cloud-init's output (which holds the
// user script's) and [LogsArgs.ExtraFiles], one stream per instance and
// file.
type LogsArgs struct {
	// RetentionDays is how long CloudWatch Logs keeps events: one of
	// [LogRetentionDays], or 0 to keep them forever. Required: keeping logs
	// forever costs storage forever, so the choice is explicit.
	RetentionDays *int `pulumi:"retentionDays"`
	// ExtraFiles are more absolute paths to ship, such as
	// "/var/log/app.log": literal paths, not globs.
	ExtraFiles []string `pulumi:"extraFiles,optional"`
	// KMSKeyARN encrypts the group with a customer managed key, whose key
	// policy must allow the CloudWatch Logs service principal of the
	// region. Empty means CloudWatch Logs' own encryption.
	KMSKeyARN pulumi.StringInput `pulumi:"kmsKeyArn,optional"`
}

// LogRetentionDays are the retention periods CloudWatch Logs accepts
// (PutRetentionPolicy); 0, meaning never expire, is allowed too.
var LogRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// LogGroupName returns the log group a component's instances ship to,
// "/selfhealing/<project>/<stack>/<component>". It is a pure function, so
// the instance role's policy can name the group before it exists.
func LogGroupName(project, stack, component string) string {
	return "/selfhealing/" + project + "/" + stack + "/" + component
}

func (l LogsArgs) validate() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("logs."+format, args...)) }

	days := make([]string, len(LogRetentionDays))
	for i, d := range LogRetentionDays {
		days[i] = strconv.Itoa(d)
	}
	switch {
	case l.RetentionDays == nil:
		// Forever costs storage forever; make the choice explicit.
		bad("retentionDays: required to ship logs; want one of %s, or 0 to keep logs forever", strings.Join(days, ", "))
	case *l.RetentionDays != 0 && !slices.Contains(LogRetentionDays, *l.RetentionDays):
		bad("retentionDays %d: want one of %s, or 0 to keep logs forever", *l.RetentionDays, strings.Join(days, ", "))
	}
	if msg := userdata.ExtraLogFilesProblem(len(l.ExtraFiles)); msg != "" {
		bad("extraFiles: %s", msg)
	}
	for i, f := range l.ExtraFiles {
		if msg := userdata.ExtraLogFileProblem(l.ExtraFiles, i); msg != "" {
			bad("extraFiles[%d] %q: %s", i, f, msg)
		}
	}
	if key, known := knownString(l.KMSKeyARN); known {
		if err := logsKMSKey.checkPattern(key); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// logGroup creates the log group. The instance may write to it, not create
// it, so the group must exist before the first instance boots.
func (b *builder) logGroup() (*cloudwatch.LogGroup, error) {
	p := b.p
	group, err := cloudwatch.NewLogGroup(b.ctx, p.name+"-logs", &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(p.boot.Logs.LogGroupName),
		RetentionInDays: pulumi.Int(p.logRetentionDays), // 0: never expire
		KmsKeyId:        optionalOutput(p.flows.logsKey),
		Tags:            p.flows.tags,
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("creating the log group: %w", err)
	}
	return group, nil
}
