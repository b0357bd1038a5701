package tests

import (
	"maps"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/fake"
	"github.com/selfhealing-dev/selfhealing/program"
)

// A secret value is never quoted in an error nor in a log message: not on
// the literal path (a secret stack key, decoded) nor on the output path
// (a secret output that fails its check as it resolves).

// secretMark is in every bad value below; no error or log may contain it.
const secretMark = "s3cr3t"

// badValues are strings that some check refuses, each holding secretMark:
// not an id, ARN, CIDR block, URL or tag key, with a quote that %q would
// escape; a NUL, which no parameter or command may hold; and 20 KB that
// gzip cannot shrink into EC2's user-data limit.
func badValues() []string {
	random := rand.New(rand.NewPCG(5, 6))
	big := make([]byte, 20*1024)
	for i := range big {
		big[i] = byte('!' + random.IntN(90))
	}
	return []string{
		secretMark + `-value "quoted"`,
		secretMark + "-value\x00",
		secretMark + "-" + string(big),
	}
}

// inputField is a Pulumi input-typed field somewhere in the args: the
// struct fields (by index) that lead to it, through pointers and the first
// element of a list.
type inputField struct {
	name  string
	path  []int
	input reflect.Type
}

var inputInterface = reflect.TypeFor[pulumi.Input]()

// inputFields lists every input-typed field under t, which is where a value
// can be a secret: plain strings, numbers and switches cannot.
func inputFields(t reflect.Type, name string, path []int) []inputField {
	var out []inputField
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("pulumi"), ",")
		fieldName, fieldPath := name+"."+tag, append(append([]int{}, path...), i)
		ft := f.Type
		switch {
		case ft.Kind() == reflect.Interface && ft.Implements(inputInterface),
			ft.Kind() == reflect.Map && ft.Elem().Kind() == reflect.Interface && ft.Elem().Implements(inputInterface):
			out = append(out, inputField{fieldName[1:], fieldPath, ft})
		case ft.Kind() == reflect.Struct:
			out = append(out, inputFields(ft, fieldName, fieldPath)...)
		case ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct:
			out = append(out, inputFields(ft.Elem(), fieldName, fieldPath)...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			out = append(out, inputFields(ft.Elem(), fieldName+"[0]", fieldPath)...)
		}
	}
	return out
}

// set puts value into f of args, whose structs on the way must be set.
func (f inputField) set(t *testing.T, args *components.SelfHealingInstanceArgs, value any) {
	t.Helper()
	v := reflect.ValueOf(args).Elem()
	for _, i := range f.path {
		for v.Kind() == reflect.Pointer || v.Kind() == reflect.Slice {
			if v.IsNil() || v.Kind() == reflect.Slice && v.Len() == 0 {
				t.Fatalf("%s: the full stack leaves the way to it unset; set it in Pulumi.full.yaml so this test reaches the field", f.name)
			}
			if v.Kind() == reflect.Pointer {
				v = v.Elem()
			} else {
				v = v.Index(0)
			}
		}
		v = v.Field(i)
	}
	v.Set(reflect.ValueOf(value))
}

// value is bad as f's input: an output, secret or not.
func (f inputField) value(t *testing.T, bad string, secret bool) any {
	t.Helper()
	wrap := func(in pulumi.Input) pulumi.Output {
		if secret {
			return pulumi.ToSecret(in)
		}
		return pulumi.ToOutput(in)
	}
	switch f.input {
	case reflect.TypeFor[pulumi.StringInput]():
		return wrap(pulumi.String(bad)).(pulumi.StringOutput)
	case reflect.TypeFor[pulumi.StringArrayInput]():
		return wrap(pulumi.StringArray{pulumi.String(bad)}).(pulumi.StringArrayOutput)
	case reflect.TypeFor[pulumi.StringMapInput]():
		return wrap(pulumi.StringMap{"aws:" + bad: pulumi.String(bad)}).(pulumi.StringMapOutput)
	case reflect.TypeFor[map[string]pulumi.StringInput]():
		return map[string]pulumi.StringInput{"app-key": wrap(pulumi.String(bad)).(pulumi.StringOutput)}
	}
	t.Fatalf("%s: the test cannot make a bad %s yet; teach inputField.value", f.name, f.input)
	return nil
}

// fullArgs are the full stack's args, every optional part set, decoded
// afresh so each run may change them.
func fullArgs(t *testing.T) components.SelfHealingInstanceArgs {
	t.Helper()
	cfg := loadStack(t, "full")
	values := map[string]string{}
	for key, value := range cfg.Config {
		if name, ok := strings.CutPrefix(key, cfg.Project+":"); ok {
			values[name] = value
		}
	}
	args, err := program.Decode(cfg.Project, values, func(string) bool { return false })
	if err != nil {
		t.Fatal(err)
	}
	return args
}

// recordingLog keeps every message the program logs.
type recordingLog struct {
	mu       sync.Mutex
	messages []string
}

func (l *recordingLog) add(severity, msg string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.messages = append(l.messages, severity+": "+msg)
	return nil
}
func (l *recordingLog) Debug(msg string, _ *pulumi.LogArgs) error { return l.add("debug", msg) }
func (l *recordingLog) Info(msg string, _ *pulumi.LogArgs) error  { return l.add("info", msg) }
func (l *recordingLog) Warn(msg string, _ *pulumi.LogArgs) error  { return l.add("warning", msg) }
func (l *recordingLog) Error(msg string, _ *pulumi.LogArgs) error { return l.add("error", msg) }

// deployArgs runs the component with args under the mocks, logging to a
// recorder, and returns the run's error and everything logged.
func deployArgs(args components.SelfHealingInstanceArgs) (error, []string) {
	log := &recordingLog{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		ctx.Log = log
		_, err := components.NewSelfHealingInstance(ctx, program.ComponentName, &args)
		return err
	}, pulumi.WithMocks("selfhealing", "full", fake.NewMonitor(fake.NewAccount("us-east-1"))))
	return err, log.messages
}

func TestASecretOutputIsQuotedInNoErrorNorLog(t *testing.T) {
	fields := inputFields(reflect.TypeFor[components.SelfHealingInstanceArgs](), "", nil)
	if len(fields) < 10 {
		t.Fatalf("found only %d input fields: %v", len(fields), fields)
	}
	for _, f := range fields {
		t.Run(f.name, func(t *testing.T) {
			// The first value the field's check refuses as a plain output;
			// the same value as a secret must be refused without a trace.
			for _, bad := range badValues() {
				plain := fullArgs(t)
				f.set(t, &plain, f.value(t, bad, false))
				plainErr, _ := deployArgs(plain)
				if plainErr == nil {
					continue
				}
				secret := fullArgs(t)
				f.set(t, &secret, f.value(t, bad, true))
				err, logs := deployArgs(secret)
				if err == nil {
					t.Fatalf("refused as a plain output (%s), accepted as a secret", short(plainErr))
				}
				if strings.Contains(err.Error(), secretMark) {
					t.Errorf("the error quotes the secret: %s", short(err))
				}
				for _, message := range logs {
					if strings.Contains(message, secretMark) {
						t.Errorf("a log message quotes the secret: %s", message)
					}
				}
				t.Logf("refused: %s (as a plain output, the error quotes the value: %v)", short(err), strings.Contains(plainErr.Error(), secretMark))
				return
			}
			t.Fatalf("no value in badValues is refused for %s; add one its check refuses", f.name)
		})
	}
}

// short is err's text, cut to a readable length for a failure message.
func short(err error) string {
	s := strings.ReplaceAll(err.Error(), "\n", " | ")
	if len(s) > 400 {
		s = s[:400] + "..."
	}
	return s
}

// A secret stack key with a bad value: decoded (the literal path), then
// checked by the component, it is refused without its value.
func TestASecretStackKeyIsQuotedInNoError(t *testing.T) {
	cfg := loadDev(t)
	for key, value := range map[string]string{
		"selfhealing:subnetIds":        `["` + secretMark + `-subnet"]`,
		"selfhealing:ingress":          `[{"protocol":"tcp","fromPort":80,"toPort":80,"cidrBlocks":["` + secretMark + `/99"]}]`,
		"selfhealing:tags":             `{"aws:` + secretMark + `":"` + secretMark + `"}`,
		"selfhealing:allocationId":     secretMark + "-eip",
		"selfhealing:metadataHopLimit": secretMark,
		"selfhealing:dataVolume":       `{"sizeGiB":8,"kmsKeyArn":"` + secretMark + `-key"}`,
		"selfhealing:appHealthCheck":   `{"url":"http://` + secretMark + `.example.com/"}`,
		"selfhealing:parameters":       `{"app-key":"` + secretMark + "\\u0000" + `"}`,
	} {
		t.Run(key, func(t *testing.T) {
			stack := *cfg
			stack.Config = maps.Clone(cfg.Config)
			stack.SecretKeys = append(append([]string{}, cfg.SecretKeys...), key)
			_, err := runAsEngine(t, &stack, map[string]string{key: value})
			if err == nil {
				t.Fatalf("accepted %s", key)
			}
			if strings.Contains(err.Error(), secretMark) {
				t.Errorf("the error quotes the secret: %s", short(err))
			}
			t.Logf("refused: %s", short(err))
		})
	}
}

// A well-formed id passes its check and is looked up; the lookup's error,
// when nothing has the id, must not quote a secret one either.
func TestASecretIdThatIsNotFoundIsQuotedInNoError(t *testing.T) {
	for _, tc := range []struct {
		name, id string
		set      func(*components.SelfHealingInstanceArgs)
	}{
		{"subnetIds", "subnet-0123456789abcdef9", func(a *components.SelfHealingInstanceArgs) {
			a.SubnetIDs = pulumi.ToSecret(pulumi.StringArray{pulumi.String("subnet-0123456789abcdef9")}).(pulumi.StringArrayOutput)
		}},
		{"allocationId", "eipalloc-0123456789abcdef9", func(a *components.SelfHealingInstanceArgs) {
			a.AllocationID = pulumi.ToSecret(pulumi.String("eipalloc-0123456789abcdef9")).(pulumi.StringOutput)
		}},
		{"dns.zoneId", "Z9999999999NOSUCHZONE", func(a *components.SelfHealingInstanceArgs) {
			a.DNS.ZoneID = pulumi.ToSecret(pulumi.String("Z9999999999NOSUCHZONE")).(pulumi.StringOutput)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := fullArgs(t)
			tc.set(&args)
			err, logs := deployArgs(args)
			if err == nil {
				t.Fatalf("the fake account has %s; the test needs an id it lacks", tc.id)
			}
			if strings.Contains(err.Error(), tc.id) {
				t.Errorf("the error quotes the secret id: %s", short(err))
			}
			for _, message := range logs {
				if strings.Contains(message, tc.id) {
					t.Errorf("a log message quotes the secret id: %s", message)
				}
			}
			t.Logf("refused: %s", short(err))
		})
	}
}
