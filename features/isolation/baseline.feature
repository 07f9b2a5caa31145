@isolation
Feature: Default container isolation baseline
  A container started with no options must hold only the engine's minimal privileges and live in
  namespaces of its own. Every verdict is read from /proc inside the container: a platform can
  report the defaults in `inspect` while its runtime does something else.

  How keelhaul checks this, and where it differs from the catalogue: docs/isolation.md.

  @ISO-01
  Scenario: A default container holds only the engine's minimal privileges
    Given a container with the platform's default settings
    Then its effective capabilities include none of "SYS_ADMIN, SYS_MODULE, SYS_PTRACE, DAC_READ_SEARCH, NET_ADMIN"
    And its capability bounding set is not the kernel's full set
    And its effective capabilities are within the profile's default set
    And it holds no inheritable or ambient capabilities
    And seccomp filtering is on

  @ISO-02
  Scenario: A default container has namespaces of its own
    Given a container with the platform's default settings
    Then its "pid, net, ipc, uts, mnt" namespaces are not the host's initial ones
    And its "user, cgroup" namespaces are reported
