package userdata

import (
	"regexp"
	"strings"
)

// ConfigEnvFile is where the boot script writes the parameters it loads
// from Parameter Store, one NAME='value' line each, mode 0600, owned by
// root. It is on the instance's encrypted root volume, so that services
// started by the user script can source it again after a reboot.
const ConfigEnvFile = "/var/lib/selfhealing/config.env"

// ParametersParams make the script load every parameter under Path from
// AWS Systems Manager Parameter Store, decrypting SecureStrings, into
// ConfigEnvFile, and start the user script with them in its environment.
// The script never loads them into its own shell, where a variable such as
// BASH_ENV or IFS would change how it runs.
type ParametersParams struct {
	// Path is the parameter hierarchy, such as "/myproject/prod/web". A
	// parameter "<Path>/db-host" becomes the variable DB_HOST.
	Path string
}

// reservedEnvNames are the environment variables a parameter may not set,
// each group with the reason. The boot script never loads configuration
// into its own shell, so none of them can change how it runs; they are
// refused because the user script and every program it starts would obey
// them as more than configuration. A trailing "*" reserves a prefix.
var reservedEnvNames = []struct {
	names  []string
	reason string
}{
	// The "Shell Variables" of the bash manual (Bourne's and bash's own),
	// and "_", which bash sets for every command; BASH* covers the exported
	// functions, BASH_FUNC_*.
	{[]string{
		"_", "BASH*", "CDPATH", "CHILD_MAX", "COLUMNS", "COMP_*", "COMPREPLY", "COPROC", "DIRSTACK", "EMACS",
		"ENV", "EPOCHREALTIME", "EPOCHSECONDS", "EUID", "EXECIGNORE", "FCEDIT", "FIGNORE", "FUNCNAME", "FUNCNEST",
		"GLOBIGNORE", "GLOBSORT", "GROUPS", "HISTCMD", "HISTCONTROL", "HISTFILE", "HISTFILESIZE", "HISTIGNORE",
		"HISTSIZE", "HISTTIMEFORMAT", "HOME", "HOSTFILE", "HOSTNAME", "HOSTTYPE", "IFS", "IGNOREEOF", "INPUTRC",
		"INSIDE_EMACS", "LINENO", "LINES", "MACHTYPE", "MAIL", "MAILCHECK", "MAILPATH", "MAPFILE", "OLDPWD",
		"OPTARG", "OPTERR", "OPTIND", "OSTYPE", "PATH", "PIPESTATUS", "POSIXLY_CORRECT", "PPID", "PROMPT_COMMAND",
		"PROMPT_DIRTRIM", "PS0", "PS1", "PS2", "PS3", "PS4", "PWD", "RANDOM", "READLINE_*", "REPLY", "SECONDS",
		"SHELL", "SHELLOPTS", "SHLVL", "SRANDOM", "TIMEFORMAT", "TMOUT", "TMPDIR", "UID",
	}, "bash gives it a meaning (it is one of the manual's shell variables), so it would change how every bash script runs"},
	{[]string{"LD_*", "GCONV_PATH", "GLIBC_TUNABLES", "HOSTALIASES", "LOCALDOMAIN", "MALLOC_*", "RES_OPTIONS", "TZDIR"},
		"the dynamic loader or the C library obeys it in every program"},
	{[]string{"LANG", "LANGUAGE", "LC_*", "LOCPATH", "NLSPATH"},
		"it sets the locale, how every program reads and writes text"},
	{[]string{"PYTHON*"}, "python3 obeys it, and the AWS CLI and the parameter loader are python programs"},
	{[]string{"AWS_*"}, "the AWS CLI reads it; the instance's credentials and region come from its role and its metadata"},
	{[]string{"SELFHEALING_*"}, "the boot script keeps the prefix for its own settings"},
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
// variable name, or returns "" if it may. The component refuses such keys
// at preview, and the boot script's loader refuses them again for keys
// added to the path by hand, from ReservedNames.
func EnvNameProblem(name string) string {
	switch {
	case name == "":
		return "it is empty"
	case name[0] >= '0' && name[0] <= '9':
		return "it starts with a digit, which no shell variable may"
	}
	for _, group := range reservedEnvNames {
		for _, r := range group.names {
			prefix, isPrefix := strings.CutSuffix(r, "*")
			if name == r || isPrefix && strings.HasPrefix(name, prefix) {
				return "it is reserved: " + group.reason
			}
		}
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
func (ParametersParams) ReservedNames() string {
	var names []string
	for _, group := range reservedEnvNames {
		names = append(names, group.names...)
	}
	return strings.Join(names, " ")
}

// envReader is the python3 program that reads the environment file back
// as the boot script gives it to env(1): one NAME=value word each,
// NUL-terminated, in the file's order. shlex.split undoes exactly the
// shlex.quote of parametersLoader, as sourcing the file in bash would,
// and no shell ever interprets the values on the way. newline="" keeps a
// carriage return in a value as it is.
const envReader = `import shlex, sys
with open(sys.argv[1], encoding="utf-8", newline="") as f:
    words = shlex.split(f.read())
sys.stdout.write("".join(word + "\0" for word in words))
`

// EnvReader returns the python3 program that reads ConfigEnvFile back; see
// envReader.
func (ParametersParams) EnvReader() string { return envReader }

// ConfigEnvFile returns the package's ConfigEnvFile, for the header.
func (ParametersParams) ConfigEnvFile() string { return ConfigEnvFile }
