# shellcheck shell=bash
# HTTPS, when with_https is 1: nginx terminates TLS for https_domain with a
# Let's Encrypt certificate in tls_dir and forwards to https_app_port; its
# configuration, certbot's arguments and the renewal units come whole from
# the header.

# set_up_https: installs nginx and certbot, serves the ACME challenge on
# port 80, and serves HTTPS at once with a certificate it can reuse.
set_up_https() {
  step="setting up HTTPS for ${https_domain}"
  https_served=0
  install_https_packages
  install -d -m 0700 "$tls_dir"
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
    serve_https
  else
    log "no certificate to reuse; one comes once the Elastic IP is here"
  fi
}

# install_https_packages: installs nginx and certbot, which need neither
# the address nor the volume: a boot in a warm pool calls it ahead.
install_https_packages() {
  step="setting up HTTPS for ${https_domain}"
  install_packages nginx certbot || fail "could not install nginx and certbot from the Amazon Linux repositories"
}

# obtain_certificate: once the address is here, obtains the certificate
# set_up_https had none of.
obtain_certificate() {
  ((!https_served)) || return 0
  step="setting up HTTPS for ${https_domain}"
  # Each failed validation counts against Let's Encrypt's limit of 5 an
  # hour, so first wait (bounded) for the name to point here.
  retry "$retry_attempts" 0 '' "${https_domain} does not resolve to ${public_ip} yet" resolves_here ||
    log "WARNING: ${https_domain} does not resolve to ${public_ip} ${retry_stop}; asking Let's Encrypt anyway"
  log "obtaining a certificate for ${https_domain} from Let's Encrypt (staging: ${certbot_staging})"
  out="$(certbot "${certbot_args[@]}" 2>&1)" || fail "certbot could not obtain a certificate for ${https_domain}: ${out}"
  serve_https
}

# resolves_here: succeeds if https_domain resolves to public_ip; otherwise
# says what it resolves to.
resolves_here() {
  local resolved
  resolved="$(getent ahostsv4 -- "$https_domain" | awk '{ print $1 }' | sort -u | tr '\n' ' ')" || true
  [[ " ${resolved}" == *" ${public_ip} "* ]] || { echo "it resolves to '${resolved% }'" >&2 && return 1; }
}

# serve_https: adds HTTPS to nginx, installs the renewal timer.
serve_https() {
  printf '%s' "$nginx_tls_config" >>"$nginx_conf"
  out="$(nginx -t 2>&1)" || fail "nginx rejects its HTTPS configuration: ${out}"
  # A restart, not a reload: a reload that cannot bind the HTTPS port leaves
  # nginx on its old configuration and still exits 0, while a start that
  # cannot bind fails, and systemctl with it.
  systemctl restart nginx || fail "nginx could not start serving HTTPS; does another program listen on its HTTPS port?"
  install_text "${unit_dir}/${renew_unit}.service" 0644 < <(printf '%s' "$renew_service")
  install_text "${unit_dir}/${renew_unit}.timer" 0644 < <(printf '%s' "$renew_timer")
  systemctl daemon-reload
  systemctl enable --now "${renew_unit}.timer"
  https_served=1
  log "HTTPS: https://${https_domain} -> 127.0.0.1:${https_app_port}, renewed by ${renew_unit}.timer"
}
