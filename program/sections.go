package program

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/selfhealing-dev/selfhealing/components"
)

// Config keys of the optional sections, in the project's namespace.
const (
	KeyParameters          = "parameters"
	KeySecretParameters    = "secretParameters"
	KeyParametersKMSKeyARN = "parametersKmsKeyArn"
	KeyLogs                = "logs"
	KeyHTTPS               = "https"
)

// configText is a parameter's value in configuration: a string, or a
// number or boolean as `pulumi config set --path` may store one, kept as
// its JSON text ("8080", "true"). Objects, arrays and null are refused.
type configText string

// UnmarshalJSON accepts a JSON string, number or boolean.
func (c *configText) UnmarshalJSON(b []byte) error {
	trimmed := bytes.TrimSpace(b)
	switch {
	case len(trimmed) > 0 && trimmed[0] == '"':
		s, err := strconv.Unquote(string(trimmed))
		if err != nil {
			return fmt.Errorf("value %s: not a JSON string", b)
		}
		*c = configText(s)
	case string(trimmed) == "true" || string(trimmed) == "false", isJSONNumber(string(trimmed)):
		*c = configText(trimmed)
	default:
		return fmt.Errorf("value %.40s: want a string (or a number or boolean, kept as text)", b)
	}
	return nil
}

func isJSONNumber(s string) bool {
	return s != "" && (s[0] == '-' || s[0] >= '0' && s[0] <= '9') && json.Valid([]byte(s))
}

// logsConfig is the logs config key; {} means no log shipping.
type logsConfig struct {
	RetentionDays *int     `json:"retentionDays"`
	ExtraFiles    []string `json:"extraFiles"`
	KMSKeyARN     string   `json:"kmsKeyArn"`
}

// httpsConfig is the https config key; {} means no HTTPS.
type httpsConfig struct {
	DomainName string      `json:"domainName"`
	Email      string      `json:"email"`
	AppPort    *portNumber `json:"appPort"`
	Staging    *bool       `json:"staging"`
}

// readSections reads the parameters, logs and https keys into args.
func (r *reader) readSections(ctx *pulumi.Context, args *components.SelfHealingInstanceArgs) {
	var plain map[string]configText
	if r.object(KeyParameters, &plain) && len(plain) > 0 {
		args.Parameters = texts(plain)
	}
	var secret map[string]configText
	if r.secretObject(KeySecretParameters, &secret) && len(secret) > 0 {
		if !ctx.IsConfigSecret(r.project + ":" + KeySecretParameters) {
			r.fail(KeySecretParameters, errors.New("is not a secret, so its values would sit in plain text in the stack file and the state; "+
				"set each with `pulumi config set --secret --path 'secretParameters.KEY' VALUE`, or move plain values to parameters"))
		}
		args.SecretParameters = texts(secret)
	}
	args.ParametersKMSKeyARN = r.str(KeyParametersKMSKeyARN)

	var logs logsConfig
	if r.object(KeyLogs, &logs) && (logs.RetentionDays != nil || logs.ExtraFiles != nil || logs.KMSKeyARN != "") {
		if logs.RetentionDays == nil {
			// Forever costs storage forever; make the choice explicit.
			r.fail(KeyLogs, errors.New(".retentionDays: required to ship logs; want a number of days CloudWatch Logs accepts, such as 30, or 0 to keep logs forever"))
		}
		args.Logs = &components.LogsArgs{ExtraFiles: logs.ExtraFiles, KMSKeyARN: logs.KMSKeyARN}
		if logs.RetentionDays != nil {
			args.Logs.RetentionDays = *logs.RetentionDays
		}
	}

	var https httpsConfig
	if r.object(KeyHTTPS, &https) && https != (httpsConfig{}) {
		args.HTTPS = &components.HTTPSArgs{DomainName: https.DomainName, Email: https.Email, Staging: https.Staging != nil && *https.Staging}
		if https.AppPort != nil {
			args.HTTPS.AppPort = int(*https.AppPort)
		}
	}
}

func texts(m map[string]configText) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

// secretObject is object for a key whose values are secrets: an error says
// what is wrong without quoting the value.
func (r *reader) secretObject(key string, out any) bool {
	raw, err := r.cfg.Try(key)
	if errors.Is(err, config.ErrMissingVar) {
		return false
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		r.fail(key, errors.New("cannot read it as an object of strings, such as {\"db-password\": \"...\"} (the value is not shown: it is secret)"))
		return false
	}
	return true
}
