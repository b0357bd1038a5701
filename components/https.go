package components

import (
	"fmt"
	"path"
	"slices"

	"github.com/selfhealing-dev/selfhealing/userdata"
)

// HTTPSArgs put nginx on the instance, in front of the application: it
// terminates TLS for [HTTPSArgs.DomainName] with a Let's Encrypt
// certificate and forwards to the application's local port, with no load
// balancer. Ports 80 (the ACME challenge, and a redirect) and 443 open to
// the world.
type HTTPSArgs struct {
	// DomainName is the name users reach the instance by, such as
	// "app.example.com". It must resolve to the Elastic IP: Let's Encrypt
	// checks that it reaches this instance over port 80.
	DomainName string `pulumi:"domainName"`
	// Email is the Let's Encrypt account's contact, for expiry and policy
	// notices.
	Email string `pulumi:"email"`
	// AppPort is the port the application listens on, on the instance;
	// 1 to 65535, not 80 or 443, which nginx takes.
	AppPort int `pulumi:"appPort"`
	// Staging uses Let's Encrypt's staging CA: far higher rate limits, and
	// certificates browsers do not trust. For trying the option out.
	Staging bool `pulumi:"staging,optional"`
}

// tlsDirOnVolume is where, under the data volume's mount path, certbot
// keeps its account key and certificates, so that a replacement instance
// reuses them instead of asking Let's Encrypt again.
const tlsDirOnVolume = ".selfhealing/tls"

// validate checks the option's fields. The rules for the domain name and
// the email are the boot script's own (userdata.DomainNameProblem and
// userdata.EmailProblem), so that what preview accepts, the script and
// certbot take.
func (h HTTPSArgs) validate() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("https."+format, args...)) }

	if problem := userdata.DomainNameProblem(h.DomainName); problem != "" {
		bad("domainName %q: %s, that resolves to the Elastic IP (Let's Encrypt validates it over HTTP)", h.DomainName, problem)
	}
	if problem := userdata.EmailProblem(h.Email); problem != "" {
		bad("email %q: %s; Let's Encrypt sends expiry notices there", h.Email, problem)
	}
	if msg := userdata.AppPortProblem(h.AppPort, userdata.DefaultHTTPPort, userdata.DefaultHTTPSPort); msg != "" {
		bad("appPort %d: %s", h.AppPort, msg)
	}
	return errs
}

// certDir is certbot's configuration directory: on the data volume when
// there is one, so the certificate and ACME account survive the instance.
func (h HTTPSArgs) certDir(volume *DataVolumeArgs) string {
	if volume == nil {
		return userdata.DefaultCertDir
	}
	return path.Join(volume.MountPath, tlsDirOnVolume)
}

// anywhere are the IPv4 and IPv6 blocks HTTPS opens its ports to.
var anywhere = []string{"0.0.0.0/0", "::/0"}

// httpsIngressRules returns the rules the HTTPS option, when h is set, adds
// to the user's: TCP 80 and 443 from anywhere, IPv4 and IPv6, less what a
// user rule opens exactly already (EC2 refuses a security group whose rules
// repeat one; an overlapping range is a different rule and is fine).
func httpsIngressRules(h *HTTPSArgs, user []ingress) []ingress {
	if h == nil {
		return nil
	}
	var out []ingress
	for _, port := range []int{80, 443} {
		var cidrs []string
		for _, cidr := range anywhere {
			if !slices.ContainsFunc(user, func(r ingress) bool {
				return r.Protocol == "tcp" && r.FromPort == port && r.ToPort == port && slices.Contains(r.CidrBlocks, cidr)
			}) {
				cidrs = append(cidrs, cidr)
			}
		}
		if len(cidrs) > 0 {
			out = append(out, ingress{
				Description: fmt.Sprintf("HTTPS option: port %d for nginx", port),
				Protocol:    "tcp", FromPort: port, ToPort: port, CidrBlocks: cidrs,
			})
		}
	}
	return out
}
