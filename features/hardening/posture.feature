@hardening
Feature: The daemon's security posture, as any API client sees it
  What GET /info and GET /version tell a remote client about the daemon's hardening, plus the
  defaults a container gets when it asks for nothing. Reported in full; a finding only where the
  profile promises more, or where a known container-escape CVE applies to an upstream version.

  How each is read and judged, and where keelhaul departs from the catalogue (attacks.md 8.2):
  docs/hardening.md.

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
