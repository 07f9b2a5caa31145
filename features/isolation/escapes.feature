@isolation
Feature: Known escapes are judged by their precondition, never exploited
  A container started with no options must not find itself in the state a known escape needs, and
  the seccomp filter it runs under must really refuse the calls the engines' default profiles
  forbid. Nothing here exploits anything: each probe stops at the precondition.

  How keelhaul checks this, and where it differs from the catalogue: docs/isolation.md.

  @ISO-19
  Scenario: A working directory through a leaked descriptor stays inside the container (CVE-2024-21626)
    When containers are started with their working directory at "/proc/self/fd/N" for N from 3 to 9
    Then each was refused or ran in a working directory inside its own root

  @ISO-20
  Scenario: The seccomp filter refuses what every engine's default profile forbids
    Then a default container's seccomp filter refuses the system calls every engine's default profile forbids

  @ISO-21
  Scenario: The platform injects no credentials into a default container
    Then no credentials appear in a default container's environment that keelhaul did not set

  @ISO-22
  Scenario: No engine or system socket is reachable anywhere in a default container
    Then no engine, containerd, systemd or D-Bus socket is found on any of its mounts or in its network namespace

  @ISO-23
  Scenario: Cgroup escape files and FUSE mounts cannot be written
    Then its cgroup release_agent and devices.allow files cannot be opened for writing, and no FUSE mount is writable

  @ISO-24
  Scenario: A default container is confined by the LSM the daemon lists
    When the daemon's posture is read from "/info" and "/version"
    Then a default container is confined by the LSM the daemon lists
