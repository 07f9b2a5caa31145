@isolation
Feature: The host stays out of reach
  A container started with no options must not see the host's filesystem, open the host's disks,
  write to kernel interfaces, read masked kernel files, make the namespace and administration calls
  the engine's seccomp profile forbids, or find the engine's control socket. Every verdict is read
  inside the container: /proc/self/mountinfo for mounts and their flags, and attempts that change
  nothing even when they succeed.

  Deviations from the catalogue (attacks.md 8.1):
  - ISO-08: busybox `test -w` is always true for root, so writability comes from the mount flags and
    from opening core_pattern for append in a subshell, which writes nothing. Paths the kernel does
    not have (e.g. /proc/sysrq-trigger without CONFIG_MAGIC_SYSRQ) are reported as absent, not passed
    as read-only. On cgroup v1 Docker mounts a writable tmpfs at /sys/fs/cgroup; what matters is the
    cgroup controller mounts. Under user-namespace remapping they are mounted read-write but their
    files belong to the host's root, so a read-write cgroup mount passes when opening its cgroup.procs
    for writing (which writes nothing) is refused.
  - ISO-09: on this kernel /proc/kcore and /proc/sched_debug do not exist; a path is judged only where
    it exists. /proc/interrupts is masked only by newer engine releases: reported, not failed.
  - ISO-10: the mount probe asks for a filesystem type that does not exist: the kernel checks the
    permission first, so "permission denied" proves the refusal and "no such device" proves the mount
    would have been allowed, without mounting anything. `nsenter` joins the shell's own uts namespace,
    and `hostname` is set to its current value (skipped if the uts namespace is the host's).
    Creating a user namespace is judged separately in ISO-11, because Podman's documented default
    seccomp profile allows it.
  - ISO-11: a finding unless the profile declares `promises.blocksUserNamespaceCreation: false`
    (podman), where it is recorded as an exposure.
  - ISO-07: device nodes are made for the disk behind the engine's own file binds (read from
    mountinfo), a loop device (7:0) and /dev/fuse (10:229), and each is opened read-only without
    reading. The catalogue's 8:0 often has no device behind it, and some sandboxed hosts refuse even
    their own root to open the disk, so more than one node is needed to prove what the device cgroup
    allows.

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
