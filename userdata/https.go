package userdata

import (
	"fmt"
	"regexp"
	"strings"
)

// DefaultCertDir is where certbot keeps its account key and certificates
// when there is no data volume: on the root volume, so each replacement
// instance registers and issues anew.
const DefaultCertDir = "/etc/letsencrypt"

// ACMEWebroot is the directory nginx serves Let's Encrypt's HTTP-01
// challenges from, and certbot writes them to.
const ACMEWebroot = "/var/lib/selfhealing-acme"

// NginxConfigFile is the nginx configuration the boot script writes; the
// stock nginx.conf of Amazon Linux 2023 includes conf.d/*.conf in its http
// block.
const NginxConfigFile = "/etc/nginx/conf.d/selfhealing-https.conf"

// HTTPSParams make the script put nginx in front of the application: it
// terminates TLS for DomainName with a Let's Encrypt certificate and
// forwards to 127.0.0.1:AppPort.
type HTTPSParams struct {
	// DomainName is the certificate's only name, such as "app.example.com".
	// It must resolve to the Elastic IP for Let's Encrypt to validate it.
	DomainName string
	// Email is the ACME account's contact, for expiry and policy notices.
	Email string
	// AppPort is the local port the application listens on.
	AppPort int
	// CertDir is certbot's --config-dir: account key, certificates and
	// renewal settings. On the data volume, it survives the instance.
	CertDir string
	// Staging asks Let's Encrypt's staging CA, whose rate limits are far
	// higher and whose certificates browsers do not trust: for trying it out.
	Staging bool
	// HTTPPort and HTTPSPort are the ports nginx listens on for the ACME
	// challenge (and the redirect) and for TLS; 0 means 80 and 443, which
	// is what the component always renders, since Let's Encrypt validates
	// HTTP-01 on port 80 only. Other ports are for running the script where
	// 80 and 443 are taken, as the tests do against pebble.
	HTTPPort, HTTPSPort int
}

// The ports nginx listens on unless HTTPParams says otherwise.
const (
	DefaultHTTPPort  = 80
	DefaultHTTPSPort = 443
)

// httpPort is the port nginx serves the challenge on.
func (h HTTPSParams) httpPort() int {
	if h.HTTPPort == 0 {
		return DefaultHTTPPort
	}
	return h.HTTPPort
}

// httpsPort is the port nginx terminates TLS on.
func (h HTTPSParams) httpsPort() int {
	if h.HTTPSPort == 0 {
		return DefaultHTTPSPort
	}
	return h.HTTPSPort
}

// AppPortProblem says what is wrong with port as the application's local
// port, behind nginx listening on httpPort and httpsPort, or "".
func AppPortProblem(port, httpPort, httpsPort int) string {
	if port < 1 || port > 65535 || port == httpPort || port == httpsPort {
		return fmt.Sprintf("want the port your application listens on, 1 to 65535, not %d or %d (nginx listens there)", httpPort, httpsPort)
	}
	return ""
}

var (
	// domainNamePattern is a lowercase DNS name of two labels or more, as
	// an HTTP-01 certificate can name: no wildcard, no trailing dot, no
	// label that starts or ends with "-".
	domainNamePattern = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)
	// emailLocalPattern is what certbot takes before the "@" (its
	// EMAIL_REGEX less "."-first and ".."), and less the dot last, which
	// RFC 5322 does not allow and Let's Encrypt refuses.
	emailLocalPattern = regexp.MustCompile(`^[A-Za-z0-9_%+-]+(\.[A-Za-z0-9_%+-]+)*$`)
	// emailDomainPattern is a DNS name of two labels or more whose last
	// label, the top-level domain, is letters.
	emailDomainPattern = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$`)
)

// DomainNameProblem says why name cannot be the certificate's name, or
// returns "" if it can.
func DomainNameProblem(name string) string {
	if len(name) > 253 || !domainNamePattern.MatchString(name) {
		return "want a lowercase DNS name of two labels or more, such as app.example.com (no wildcard, no trailing dot)"
	}
	return ""
}

// EmailProblem says why certbot or Let's Encrypt cannot take email as the
// ACME account's contact, or returns "" if they can. A leading "-" is
// refused although certbot's own check allows it: on a command line it
// reads as an option, wherever a program less careful than CertbotCommand
// is handed it.
func EmailProblem(email string) string {
	local, domain, _ := strings.Cut(email, "@")
	switch {
	case strings.Count(email, "@") != 1:
		return "want one address with one @, such as ops@example.com"
	case strings.HasPrefix(email, "-"):
		return `it starts with "-", which certbot would read as an option`
	case local == "" || len(local) > 64:
		return "want 1 to 64 characters before the @"
	case !emailLocalPattern.MatchString(local):
		return "before the @, want A-Z a-z 0-9 . _ % + - with no dot first, last or twice in a row (certbot refuses the rest)"
	case len(email) > 254 || !emailDomainPattern.MatchString(domain):
		return "after the @, want a DNS name such as example.com"
	}
	return ""
}

// CertFile and KeyFile are where certbot keeps the current certificate
// chain and private key for the domain.
func (h HTTPSParams) CertFile() string { return h.CertDir + "/live/" + h.DomainName + "/fullchain.pem" }

// KeyFile is the private key for CertFile.
func (h HTTPSParams) KeyFile() string { return h.CertDir + "/live/" + h.DomainName + "/privkey.pem" }

// NginxConfig returns nginx's port 80 server: it serves the ACME challenge
// and redirects everything else to HTTPS. The script installs it alone
// first, since nginx refuses to start with a certificate file that does not
// exist yet, then appends NginxTLSConfig once there is a certificate.
func (h HTTPSParams) NginxConfig() string {
	return fmt.Sprintf(`# Written by the selfhealing boot script at each boot.
server {
    listen %[3]d;
    listen [::]:%[3]d;
    server_name %[1]s;

    location ^~ /.well-known/acme-challenge/ {
        root %[2]s;
        default_type text/plain;
    }
    location / {
        return 301 https://$host%[4]s$request_uri;
    }
}
`, h.DomainName, ACMEWebroot, h.httpPort(), h.redirectPort())
}

// redirectPort is what the redirect to HTTPS puts after the host: nothing
// for 443.
func (h HTTPSParams) redirectPort() string {
	if h.httpsPort() == 443 {
		return ""
	}
	return fmt.Sprintf(":%d", h.httpsPort())
}

// NginxTLSConfig returns nginx's port 443 server: TLS 1.2 and 1.3 with the
// domain's certificate, proxying to the application on 127.0.0.1:AppPort
// with the usual forwarding headers and WebSocket upgrades.
func (h HTTPSParams) NginxTLSConfig() string {
	return fmt.Sprintf(`
map $http_upgrade $selfhealing_connection {
    default upgrade;
    ""      close;
}

server {
    listen %[5]d ssl;
    listen [::]:%[5]d ssl;
    server_name %[1]s;

    ssl_certificate %[2]s;
    ssl_certificate_key %[3]s;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:selfhealing_tls:10m;
    ssl_session_timeout 1d;

    location / {
        proxy_pass http://127.0.0.1:%[4]d;
        proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto https;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $selfhealing_connection;
    }
}
`, h.DomainName, h.CertFile(), h.KeyFile(), h.AppPort, h.httpsPort())
}

// RenewUnitName is the systemd timer (and service) that renews the
// certificate.
const RenewUnitName = "selfhealing-certbot-renew"

// certbotDirs are certbot's directories: the configuration, which holds
// what must survive, and its scratch and log directories on the instance.
// Each is joined to its option, as every value given to certbot is.
func (h HTTPSParams) certbotDirs() []string {
	return []string{"--config-dir=" + h.CertDir, "--work-dir=/var/lib/letsencrypt", "--logs-dir=/var/log/letsencrypt"}
}

// RenewService returns the systemd service that renews the certificate
// when it is due and reloads nginx when it did. certbot keeps the webroot
// and account it was issued with in CertDir's renewal settings.
func (h HTTPSParams) RenewService() string {
	return fmt.Sprintf(`[Unit]
Description=Renew the Let's Encrypt certificate for %s when due (selfhealing)
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
ExecStart=/usr/bin/certbot renew --quiet --no-random-sleep-on-renew %s --deploy-hook "systemctl reload nginx"
`, h.DomainName, strings.Join(h.certbotDirs(), " "))
}

// RenewTimer returns the timer that runs RenewService twice a day, as
// Let's Encrypt recommends, at a random minute.
func (h HTTPSParams) RenewTimer() string {
	return fmt.Sprintf(`[Unit]
Description=Check twice a day whether the certificate for %s is due for renewal (selfhealing)

[Timer]
OnCalendar=*-*-* 00,12:00:00
RandomizedDelaySec=1h
Persistent=true

[Install]
WantedBy=timers.target
`, h.DomainName)
}

// CertbotCommand returns the arguments, after "certbot", that obtain the
// certificate through the webroot, or renew it if it is due. Each value
// is joined to its option by "=" (certbot's argparse takes "--opt=value"),
// so that no value, whatever it starts with, is read as an option of its
// own. The webroot comes before the domain it serves, as certbot maps them.
//
// It names no ACME server: certbot then asks Let's Encrypt, unless its
// configuration file /etc/letsencrypt/cli.ini (read whatever --config-dir
// says) sets "server", and trusts the server's TLS certificate by
// REQUESTS_CA_BUNDLE if set. The boot tests point it at pebble that way,
// with this command line unchanged.
func (h HTTPSParams) CertbotCommand() []string {
	args := []string{
		"certonly", "--non-interactive", "--agree-tos", "--keep-until-expiring",
		"--webroot", "--webroot-path=" + ACMEWebroot, "--domains=" + h.DomainName, "--email=" + h.Email,
	}
	if h.Staging {
		args = append(args, "--test-cert")
	}
	return append(args, h.certbotDirs()...)
}

// The methods below hand the package's fixed paths to the header, which
// quotes them like every other value.

// ACMEWebroot returns the package's ACMEWebroot.
func (HTTPSParams) ACMEWebroot() string { return ACMEWebroot }

// NginxConfigFile returns the package's NginxConfigFile.
func (HTTPSParams) NginxConfigFile() string { return NginxConfigFile }

// RenewUnitName returns the package's RenewUnitName.
func (HTTPSParams) RenewUnitName() string { return RenewUnitName }
