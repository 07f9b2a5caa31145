@isolation
Feature: What a default container can do or learn, judged against the profile
  Some isolation beyond Docker's documented defaults is a promise only some platforms make. These
  scenarios report what a container started with no options can do or learn, and fail only where
  the platform's profile promises better.

  Deviations from the catalogue (attacks.md 8.1):
  - ISO-16: NET_RAW is one of Docker's default capabilities, so working raw sockets are recorded as
    an exposure under the docker profile; they are a finding only when the profile's default set
    excludes NET_RAW (podman's does, and there ping must fail).
  - ISO-17: observations only, never a failure.
  - ISO-18: a default container's no_new_privs is a finding only under a profile with
    `promises.noNewPrivileges: true`; but a container that asks for no-new-privileges must always
    get it: the runtime can drop it while `inspect` still shows the request. A platform that refuses
    the option outright makes the scenario not applicable; accepting and ignoring it is a finding.

  @ISO-16
  Scenario: Raw sockets are available only where the profile allows them
    Given a container started with no options
    Then raw sockets work only if the profile's default capabilities include NET_RAW

  @ISO-17
  Scenario: Information that helps an escape is recorded
    Given a container started with no options
    Then what it can learn about the host is recorded

  @ISO-18
  Scenario: Setuid escalation is blocked where it is promised or asked for
    Given a container started with no options
    Then its no_new_privs flag is reported, and required only where the profile promises it
    When a container asks for no-new-privileges
    Then it runs with no_new_privs set
