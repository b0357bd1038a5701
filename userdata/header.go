package userdata

import (
	"strconv"
	"strings"
)

// header returns the one generated part of the boot script: the "#!" line,
// then readonly assignments. First a flag per feature, with_<feature>=1
// when it is on and 0 when it is off; then the values the script is
// configured with, each quoted by [ShellQuote], so that bash holds it as
// inert data and never evaluates it. A feature that is off has no values,
// and its file is left out of the script (see [scriptFiles]). The names
// are those the static files in sh/ read; see [assemble].
func header(p Params) string {
	var h headerWriter
	h.b.WriteString("#!/bin/bash\n")
	h.flag("with_data_volume", p.DataVolume != nil)
	h.flag("with_launch_gate", p.LaunchGate != nil)
	h.flag("with_health_check", p.HealthCheck != nil)
	h.flag("with_logs", p.Logs != nil)
	h.flag("with_agent_metrics", p.AgentMetrics != nil)
	h.flag("with_https", p.HTTPS != nil)
	h.flag("with_parameters", p.Parameters != nil)
	h.flag("with_network_interface", p.NetworkInterface != nil)
	h.flag("with_handover", p.Handover != nil)
	h.flag("with_warm_watch", p.WarmWatch)
	h.values("allocation_id", p.AllocationID, "elastic_ip", p.PublicIP, "group_name", p.GroupName)
	h.values("user_script", p.UserScript)
	if v := p.DataVolume; v != nil {
		h.values("volume_id", v.VolumeID)
		h.values("volume_device_name", v.DeviceName)
		h.values("mount_path", v.MountPath)
		h.values("fs_type", v.FSType)
		h.values("volume_wait_seconds", strconv.Itoa(v.WaitSeconds))
		h.values("force_detach", strconv.FormatBool(v.ForceDetach))
		h.values("may_format", strconv.FormatBool(v.MayFormat))
		h.values("formatted_tag_key", FormattedTagKey)
	}
	if n := p.NetworkInterface; n != nil {
		h.values("eni_id", n.InterfaceID, "eni_device_index", strconv.Itoa(NetworkInterfaceDeviceIndex))
		h.values("eni_wait_seconds", strconv.Itoa(n.WaitSeconds), "eni_force_detach", strconv.FormatBool(n.ForceDetach))
	}
	if o := p.Handover; o != nil {
		h.values("handover_hook", o.HookName)
		h.values("stop_script", o.StopScript, "stop_timeout", strconv.Itoa(o.StopTimeoutSeconds))
		h.values("handover_detach_wait", strconv.Itoa(HandoverDetachWaitSeconds))
	}
	if g := p.LaunchGate; g != nil {
		h.values("gate_hook", g.HookName)
		h.values("gate_timeout", strconv.Itoa(g.TimeoutSeconds))
	}
	if c := p.HealthCheck; c != nil {
		h.values("health_url", c.URL)
		h.values("health_expected_status", strconv.Itoa(c.ExpectedStatus))
		h.values("health_command", c.Command)
		h.values("health_interval", strconv.Itoa(c.IntervalSeconds))
		h.values("health_timeout", strconv.Itoa(c.TimeoutSeconds))
		h.values("health_threshold", strconv.Itoa(c.FailureThreshold))
	}
	if p.Logs != nil || p.AgentMetrics != nil {
		config, err := p.AgentConfig()
		if err != nil {
			panic(err) // marshalling a struct of strings: cannot happen
		}
		if l := p.Logs; l != nil {
			h.values("log_group", l.LogGroupName)
		}
		h.values("cloudwatch_agent_config_file", CloudWatchAgentConfigFile)
		h.values("cloudwatch_agent_config", config)
	}
	if s := p.HTTPS; s != nil {
		h.values("https_domain", s.DomainName, "https_app_port", strconv.Itoa(s.AppPort))
		h.values("tls_dir", s.CertDir, "tls_cert", s.CertFile())
		h.values("acme_webroot", s.ACMEWebroot(), "nginx_conf", s.NginxConfigFile(), "renew_unit", s.RenewUnitName())
		h.flag("certbot_staging", s.Staging)
		h.array("certbot_args", s.CertbotCommand())
		h.values("nginx_http_config", s.NginxConfig())
		h.values("nginx_tls_config", s.NginxTLSConfig())
		h.values("renew_service", s.RenewService())
		h.values("renew_timer", s.RenewTimer())
	}
	if s := p.Parameters; s != nil {
		h.values("parameters_path", s.Path, "config_env", s.ConfigEnvFile())
		h.values("parameters_reserved_names", s.ReservedNames())
		h.values("parameters_loader", s.Loader())
		h.values("parameters_env_reader", s.EnvReader())
	}
	// sh_lines is the header's last value: the lines above it and the two
	// that end the header are all there is before the first file.
	h.array("sh_lines", sourceLines(p, strings.Count(h.b.String(), "\n")+2))
	h.b.WriteString(HeaderEnd + "\n")
	return h.b.String()
}

// sourceLines returns the header's sh_lines: each file of the script, as
// "<file>:<line>", with the line of the rendered script that the file's
// first line is, after a header of headerLines lines. Each file keeps its
// lines where they are (see compact), so line L of the script is line
// L-start+1 of the last file that starts at or before it: the error trap
// names the file and line a command failed at, as userdata/sh holds it.
func sourceLines(p Params, headerLines int) []string {
	var entries []string
	line := headerLines + 1
	for _, name := range scriptFiles(p) {
		entries = append(entries, name+":"+strconv.Itoa(line))
		line += strings.Count(shFile(name), "\n")
	}
	return entries
}

// HeaderEnd is the header's last line, a no-op command (":"; comments
// are dropped from user data): what comes before it is
// configuration, what follows the static files. Tests that run one function
// of the script run the header first, to give it its configuration.
const HeaderEnd = ": end of the generated header"

// headerWriter writes the header's lines.
type headerWriter struct{ b strings.Builder }

// values writes one readonly line of name, value pairs. A line with a
// value that holds "$" or "`" is preceded by a shellcheck directive, since
// shellcheck warns that single quotes keep bash from expanding them
// (SC2016), and that is their purpose here: each value is stored verbatim.
func (h *headerWriter) values(pairs ...string) {
	var line strings.Builder
	line.WriteString("readonly")
	verbatim := false
	for i := 0; i+1 < len(pairs); i += 2 {
		line.WriteString(" " + pairs[i] + "=" + ShellQuote(pairs[i+1]))
		verbatim = verbatim || strings.ContainsAny(pairs[i+1], "$`")
	}
	if verbatim {
		h.b.WriteString("# shellcheck disable=SC2016 # stored verbatim, not expanded\n")
	}
	h.b.WriteString(line.String() + "\n")
}

// flag writes a readonly 1 (on) or 0 (off), for bash's (( )).
func (h *headerWriter) flag(name string, on bool) {
	value := "0"
	if on {
		value = "1"
	}
	h.b.WriteString("readonly " + name + "=" + value + "\n")
}

// array writes a readonly array of quoted words.
func (h *headerWriter) array(name string, words []string) {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = ShellQuote(w)
	}
	h.b.WriteString("readonly -a " + name + "=(" + strings.Join(quoted, " ") + ")\n")
}
