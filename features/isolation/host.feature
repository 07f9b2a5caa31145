@isolation
Feature: The host stays out of reach
  A container started with no options must not see the host's filesystem, open the host's disks,
  write to kernel interfaces, read masked kernel files, make the namespace and administration calls
  the engine's seccomp profile forbids, or find the engine's control socket. Every verdict is read
  inside the container: /proc/self/mountinfo for mounts and their flags, and attempts that change
  nothing even when they succeed.

  How keelhaul checks this, and where it differs from the catalogue: docs/isolation.md.

  Background:
    Given a container started with no options

  @ISO-06
  Scenario: The host's filesystem is not visible
    Then no host filesystem is mounted in it

  @ISO-07
  Scenario: Host devices cannot be opened
    Then it cannot open host devices, even through device nodes it creates

  @ISO-08
  Scenario: Kernel interfaces are read-only
    Then "/proc/sys, /proc/sysrq-trigger, /proc/irq, /proc/bus, /proc/fs, /sys, /sys/kernel/uevent_helper" are read-only where they exist
    And its cgroup filesystems cannot be written
    And "/proc/sys/kernel/core_pattern" cannot be opened for writing

  @ISO-09
  Scenario: Sensitive kernel files are masked
    Then "/proc/kcore, /proc/keys, /proc/timer_list, /proc/sched_debug, /proc/latency_stats, /proc/timer_stats, /proc/scsi, /proc/acpi, /sys/firmware" are masked or absent
    And the masking of "/proc/interrupts, /sys/devices/virtual/powercap" is reported

  @ISO-10
  Scenario: Namespace and administration calls are refused
    Then the kernel refuses each of these attempts:
      | attempt                | what it would allow                                   |
      | join another namespace | entering another process's namespaces (setns)         |
      | read the kernel log    | host kernel messages and addresses (syslog)           |
      | change the hostname    | changing a uts namespace that may be the host's       |
      | mount a filesystem     | mounting procfs, cgroupfs or a host disk              |
    And a seccomp filter is in force

  @ISO-11
  Scenario: A container cannot create a user namespace
    Then it cannot create a user namespace, unless the profile allows it

  @ISO-12
  Scenario: No control-plane socket is present in the container
    Then no engine control socket is present in it
