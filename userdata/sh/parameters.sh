# shellcheck shell=bash
# Parameters, in the script when with_parameters is 1: every parameter
# under parameters_path in Parameter Store goes into the file config_env,
# written by the python3 program parameters_loader (which refuses the names
# in parameters_reserved_names), and from there, read back by
# parameters_env_reader, into user_config, the user script's environment.

# load_parameters: loads the parameters into config_env and
# user_config.
load_parameters() {
  step="loading configuration from Parameter Store ${parameters_path}"
  command -v python3 >/dev/null || fail "python3 is not installed; the AMI must provide it (Amazon Linux 2023 does)"
  # The CLI follows NextToken itself and prints one JSON document; the values
  # stay in this shell and the loader, and only names reach the log.
  aws_retry "get-parameters-by-path" ssm get-parameters-by-path --region "$region" --output json \
    --path "$parameters_path" --recursive --with-decryption
  loaded="$(printf '%s' "$aws_output" | python3 -I -c "$parameters_loader" "$parameters_path" "$config_env" "$parameters_reserved_names" 2>&1)" ||
    fail "$loaded"
  aws_output=""
  chown root:root "$config_env"
  chmod 0600 "$config_env"
  parameter_count=0
  while read -r env_name parameter_type parameter_key; do
    [[ -n "$env_name" ]] || continue
    log "parameter ${parameter_key} (${parameter_type}) -> \$${env_name}"
    parameter_count=$((parameter_count + 1))
  done <<<"$loaded"
  # The file is never sourced here: a name such as BASH_ENV, IFS or FUNCNEST
  # would change how this script runs. Its entries go, as NAME=value words,
  # to env(1), which starts the user script with them. exec: the ERR trap,
  # which set -E hands to the process substitution, must not run there.
  mapfile -d '' -t user_config < <(exec python3 -I -c "$parameters_env_reader" "$config_env")
  wait "$!" || fail "could not read ${config_env} back"
  ((${#user_config[@]} == parameter_count)) ||
    fail "read ${#user_config[@]} entries back from ${config_env}, want ${parameter_count}"
  log "loaded ${parameter_count} parameters from ${parameters_path} into ${config_env}; exported to the user script"
}
