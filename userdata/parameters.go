package userdata

import (
	"regexp"
	"slices"
	"strings"
)

// ConfigEnvFile is where the boot script writes the parameters it loads
// from Parameter Store, one NAME='value' line each, mode 0600, owned by
// root. It is on the instance's encrypted root volume, so that services
// started by the user script can source it again after a reboot.
const ConfigEnvFile = "/var/lib/selfhealing/config.env"

// ParametersParams make the script load every parameter under Path from
// AWS Systems Manager Parameter Store, decrypting SecureStrings, into
// ConfigEnvFile, and export them to the user script.
type ParametersParams struct {
	// Path is the parameter hierarchy, such as "/myproject/prod/web". A
	// parameter "<Path>/db-host" becomes the variable DB_HOST.
	Path string
}

// reservedEnvNames are environment variables that a parameter may not set:
// bash refuses or reacts to them, the dynamic loader obeys them, or the AWS
// CLI and this script read them. A trailing "*" reserves a prefix.
var reservedEnvNames = []string{
	"BASH*", "BASHOPTS", "CDPATH", "DIRSTACK", "ENV", "EPOCHREALTIME", "EPOCHSECONDS", "EUID",
	"FUNCNAME", "GLOBIGNORE", "GROUPS", "HISTFILE", "HOME", "HOSTNAME", "IFS", "LD_*",
	"LINENO", "OLDPWD", "OPTERR", "OPTIND", "PATH", "PIPESTATUS", "PPID", "PS4", "PWD",
	"PYTHON*", "RANDOM", "SECONDS", "SHELL", "SHELLOPTS", "SHLVL", "SRANDOM", "UID",
	"AWS_*", "SELFHEALING_*",
}

var notEnvSafe = regexp.MustCompile(`[^A-Z0-9]`)

// EnvName is the environment variable a parameter key becomes: upper case,
// with every character other than A-Z and 0-9 replaced by "_" ("db-host"
// becomes DB_HOST, "api.v2/key" becomes API_V2_KEY). The boot script maps
// keys the same way, including those of parameters created outside the
// stack.
func EnvName(key string) string {
	return notEnvSafe.ReplaceAllString(strings.ToUpper(key), "_")
}

// EnvNameProblem says why a parameter may not become the environment
// variable name, or returns "" if it may.
func EnvNameProblem(name string) string {
	switch {
	case name == "":
		return "it is empty"
	case name[0] >= '0' && name[0] <= '9':
		return "it starts with a digit, which no shell variable may"
	case slices.ContainsFunc(reservedEnvNames, func(r string) bool {
		prefix, isPrefix := strings.CutSuffix(r, "*")
		return name == r || isPrefix && strings.HasPrefix(name, prefix)
	}):
		return "bash, the dynamic loader, python or the AWS CLI give it a meaning (reserved: " + strings.Join(reservedEnvNames, " ") + ")"
	}
	return ""
}

// parametersLoader is the python3 program that turns the AWS CLI's
// get-parameters-by-path JSON (on stdin) into the environment file. It
// mirrors EnvName and EnvNameProblem, refuses two parameters that map to one
// name, shell-quotes each value, and replaces the file atomically with mode
// 0600. It prints one "NAME TYPE KEY" line per parameter and never a value;
// an error names parameters, not their values, and parsing errors show only
// the exception's type, since their messages can quote the input.
//
// Python, not jq or the CLI's text output, because values may hold
// newlines, tabs, quotes and any Unicode, which only a JSON parser keeps
// exact; Amazon Linux 2023 ships python3 (dnf needs it), and not jq.
const parametersLoader = `import json, os, re, shlex, sys
path, out, reserved = sys.argv[1], sys.argv[2], sys.argv[3].split()
def problem(name):
    if not name: return "it is empty"
    if name[0].isdigit(): return "it starts with a digit"
    for r in reserved:
        if name == r or (r.endswith("*") and name.startswith(r[:-1])): return "it is reserved"
def main():
    try:
        params = json.load(sys.stdin)["Parameters"]
        entries = sorted((p["Name"], p["Type"], p["Value"]) for p in params)
    except Exception as e:
        sys.exit("cannot read the get-parameters-by-path output (%s)" % type(e).__name__)
    lines, seen = [], {}
    for full, kind, value in entries:
        key = full[len(path) + 1:]
        name = re.sub("[^A-Z0-9]", "_", key.upper())
        why = problem(name)
        if why: sys.exit("parameter %s: its variable name %s cannot be used: %s" % (full, name, why))
        if name in seen: sys.exit("parameters %s and %s both become the variable %s" % (seen[name], full, name))
        if "\0" in value: sys.exit("parameter %s: its value holds a NUL byte, which no variable can" % full)
        seen[name] = full
        lines.append("%s=%s\n" % (name, shlex.quote(value)))
        print(name, kind, key)
    tmp = out + ".tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            os.fchmod(f.fileno(), 0o600)
            f.writelines(lines)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out)
    except Exception as e:
        sys.exit("cannot write %s (%s)" % (out, type(e).__name__))
main()
`

// Loader returns the python3 program the script runs on the AWS CLI's
// output; see parametersLoader.
func (ParametersParams) Loader() string { return parametersLoader }

// ReservedNames returns the reserved variable names, space-separated, for
// the loader.
func (ParametersParams) ReservedNames() string { return strings.Join(reservedEnvNames, " ") }

// ConfigEnvFile returns the package's ConfigEnvFile, for the template.
func (ParametersParams) ConfigEnvFile() string { return ConfigEnvFile }
