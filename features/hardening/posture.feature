@hardening
Feature: The daemon's security posture, as any API client sees it
  What GET /info and GET /version tell a remote client about the daemon's hardening, plus the
  defaults a container gets when it asks for nothing. Reported in full; a finding only where the
  profile promises more, or where a known container-escape CVE applies to an upstream version.

  Deviations from the catalogue (attacks.md 8.2):
  - HARD-14: Docker 20.10 does not list no-new-privileges in SecurityOptions even when the daemon
    enforces it, so that promise is judged from inside by ISO-18, not here.
  - HARD-15: the limits are read from the container's own cgroup files, not from inspect.
  - HARD-16: not applicable where every container has its own address (triton) or the platform has
    no default network to publish on (the fixture daemons run without a bridge).
  - HARD-17: distribution builds (Debian's runc 1.1.5+ds1-1+deb12u1) carry backported fixes under an
    old upstream version; they are reported as exposures ("backport status unknown") unless the table
    knows the build, never condemned on the upstream number alone. CVE-2024-41110 (AuthZ plugin
    bypass) counts only where /info lists an authorization plugin.
  - HARD-18: a distribution kernel's release names an ABI, not its stable patch level (Debian's
    6.1.0-18-amd64 is a 6.1.76 kernel), so below an upstream fix it is inconclusive with the reason,
    never a finding; an upstream release below the fix of its stable branch is a finding. Learned
    here: this machine's 6.18.44-fc-v669 is a custom build that carries the full stable version.
  - HARD-19 applies to TCP targets only. dockerd with --tlsverify fails the handshake of a client
    without a certificate ("certificate required"); a plain-HTTP request to its TLS port gets 400.
    A plain-TCP dockerd answers 200 to anyone: an exposure, a finding on a multi-tenant profile.

  @HARD-14
  Scenario: The daemon reports its security options
    When the daemon's posture is read from "/info" and "/version"
    Then its security options and warnings are reported, and fail only where the profile promises more

  @HARD-15
  Scenario: Containers get resource limits when they ask for none
    Then the default resource limits of a container are reported, and required on a multi-tenant platform

  @HARD-16
  Scenario: Published ports bind to every interface by default
    When a container publishes a port without naming a host address
    Then the binding address is reported

  @HARD-17
  Scenario: The engine and runtime have no known container-escape CVE
    When the daemon's posture is read from "/info" and "/version"
    Then the engine and runtime versions are compared with known container-escape CVEs

  @HARD-18
  Scenario: The kernel has no known container-escape CVE
    When the daemon's posture is read from "/info" and "/version"
    Then the kernel release is compared with known container-escape kernel CVEs

  @HARD-19
  Scenario: The API refuses clients that show no credentials
    Then the API refuses clients that show no credentials
