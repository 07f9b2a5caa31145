@isolation
Feature: Known escapes are judged by their precondition, never exploited
  A container started with no options must not find itself in the state a known escape needs, and
  the seccomp filter it runs under must really refuse the calls the engines' default profiles
  forbid. Nothing here exploits anything: each probe stops at the precondition.

  Learned on real engines:
  - ISO-19: stock Docker 20.10 and Podman 4.3 (runc 1.1.5+ds1-1+deb12u1, which carries the fix)
    refuse a working directory of /proc/self/fd/N at start ("mkdir /proc/self/fd/7: not a
    directory"). The judgement does not trust readlink alone: a directory outside the container's
    root is named "/" (a detached mount) or by a host path, so the probe compares the directory it
    is in with what that path is from the container's root. This settles HARD-17's "backport status
    unknown" for CVE-2024-21626 on distribution builds.
  - ISO-20: "Seccomp: 2" is also what a filter that blocks nothing shows (ISO-01 reads only the mode).
    busybox cannot make these calls, so a static helper built from helpers/keelhaul-syscalls.c is
    added to the busybox probe image when keelhaul seeds it. Measured on this kernel (6.18): kexec,
    module and iopl calls do not exist (ENOSYS without a filter); Podman's profile answers ENOSYS
    for add_key/request_key and allows keyctl, setns, unshare, mbind and process_vm_readv, which
    Docker's forbids; io_uring_setup is allowed by both (moby forbids it from 25.0).
  - ISO-21: only variable names leave the container (and a flag for token-like values), so a report
    never carries the secret it found. Docker sets PATH, HOSTNAME and HOME; Podman adds container
    and TERM.
  - ISO-22 widens ISO-12 (root filesystem and socket mount points only): a host directory holding
    the engine's socket bound anywhere, or a host /run that is a tmpfs (ISO-06 sees host disks
    only), is found by a bounded search across every mount; /proc/net/unix shows the sockets of a
    host network namespace, abstract ones included. A default container's own network namespace
    has none on Docker 20.10 and Podman 4.3.
  - ISO-23: a default container sees devices.allow (cgroup v1) but not release_agent, which lives
    only at a hierarchy's root: the classic escape mounts a fresh cgroupfs for it, which ISO-10
    refuses. Each file is opened for append in a subshell, which writes nothing. No LXCFS here:
    the FUSE judgement is unit-tested on LXCFS's mountinfo lines.
  - ISO-24: the development machines run no LSM (no AppArmor module, no SELinux), so stock Docker
    lists none and the scenario is not applicable there; it is shown failing on a fixture that
    lists AppArmor in /info while its containers carry no label.

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
