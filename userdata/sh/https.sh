# shellcheck shell=bash
# HTTPS, in the script when with_https is 1: nginx terminates TLS for
# https_domain with a Let's Encrypt certificate, kept in tls_dir, and
# forwards to 127.0.0.1:https_app_port. The nginx configuration
# (nginx_http_config, nginx_tls_config), certbot's arguments (certbot_args)
# and the renewal units (renew_service, renew_timer) come whole from the
# header.

# pause_before_retry ATTEMPT: backs off unless ATTEMPT was the last one.
pause_before_retry() {
  retry_wait "$1" "$SECONDS" 0 || true
}

# set_up_https: installs nginx and certbot, serves the ACME challenge on
# port 80, reuses or obtains the certificate, then serves HTTPS and
# installs the renewal timer.
set_up_https() {
  step="setting up HTTPS for ${https_domain}"
  dnf_install nginx certbot || fail "could not install nginx and certbot from the Amazon Linux repositories"
  mkdir -p "$tls_dir"
  chmod 0700 "$tls_dir"
  install -d -m 0755 "$acme_webroot"
  # Port 80 first: it answers Let's Encrypt's challenge. nginx refuses a
  # certificate file that does not exist, so 443 comes once there is one.
  printf '%s' "$nginx_http_config" >"$nginx_conf"
  chmod 0644 "$nginx_conf"
  out="$(nginx -t 2>&1)" || fail "nginx rejects its configuration: ${out}"
  systemctl enable nginx
  systemctl restart nginx || fail "nginx could not start on its HTTP port; does another program listen there?"

  # A certificate on the data volume outlives the instance: reuse it while it
  # has 30 days or more to run, so a heal asks Let's Encrypt for nothing.
  if [[ -s "$tls_cert" ]] && openssl x509 -checkend 2592000 -noout -in "$tls_cert" >/dev/null 2>&1; then
    log "reusing the certificate for ${https_domain} in ${tls_dir}"
  else
    # Each failed validation counts against Let's Encrypt's limit of 5 an
    # hour, so first wait (bounded) for the name to point here.
    resolved=""
    for ((attempt = 1; attempt <= retry_attempts; attempt++)); do
      resolved="$(getent ahostsv4 -- "$https_domain" | awk '{ print $1 }' | sort -u | tr '\n' ' ')" || resolved=""
      if [[ " ${resolved}" == *" ${public_ip} "* ]]; then
        break
      fi
      log "${https_domain} resolves to '${resolved% }', not ${public_ip} yet (attempt ${attempt}/${retry_attempts})"
      pause_before_retry "$attempt"
    done
    if [[ " ${resolved}" != *" ${public_ip} "* ]]; then
      log "WARNING: ${https_domain} does not resolve to ${public_ip}; asking Let's Encrypt anyway"
    fi
    local staging=""
    if ((certbot_staging)); then
      staging=" (staging)"
    fi
    log "obtaining a certificate for ${https_domain} from Let's Encrypt${staging}"
    out="$(certbot "${certbot_args[@]}" 2>&1)" || fail "certbot could not obtain a certificate for ${https_domain}: ${out}"
  fi

  printf '%s' "$nginx_tls_config" >>"$nginx_conf"
  out="$(nginx -t 2>&1)" || fail "nginx rejects its HTTPS configuration: ${out}"
  # A restart, not a reload: a reload that cannot bind the HTTPS port leaves
  # nginx on its old configuration and still exits 0, while a start that
  # cannot bind fails, and systemctl with it.
  systemctl restart nginx || fail "nginx could not start serving HTTPS; does another program listen on its HTTPS port?"
  printf '%s' "$renew_service" >"/etc/systemd/system/${renew_unit}.service"
  printf '%s' "$renew_timer" >"/etc/systemd/system/${renew_unit}.timer"
  chmod 0644 "/etc/systemd/system/${renew_unit}.service" "/etc/systemd/system/${renew_unit}.timer"
  systemctl daemon-reload
  systemctl enable --now "${renew_unit}.timer"
  log "HTTPS: https://${https_domain} -> 127.0.0.1:${https_app_port}, renewed by ${renew_unit}.timer"
}
