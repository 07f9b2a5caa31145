@hardening
Feature: Dangerous options requested through the API are rejected or neutralised
  Each scenario asks the platform's API for a container with one dangerous option and classifies
  what happened, in summary.json (observation "hardening") and on the console:
  - rejected: the API refused it at create, start or exec (the raw message is kept);
  - neutralised: the container started, but a probe from inside shows no trace of the option;
  - effective: the container really got it.
  A multi-tenant platform (the triton profile, or any profile with `multiTenant: true`) must reject
  or neutralise every one of them: effective is a finding there. On stock Docker and Podman, access
  to the API is root-equivalent by design, so effective passes and is listed as an exposure.

  Every scenario has an ID of its own (summary.json and CI dashboards key on it): a catalogue row
  with several requests gets one ID per request (HARD-02-SYS-ADMIN, HARD-03-ROOT...) and keeps the
  row's ID as a second tag, so `--tags @HARD-02` still selects the whole row.

  How each option is asked for and judged, and where keelhaul departs from the catalogue
  (attacks.md 8.2): docs/hardening.md.

  @HARD-01
  Scenario: Privileged mode is rejected or neutralised
    When a container is requested with "privileged mode"
    Then the platform rejects or neutralises it

  Scenario Outline: An added <capability> capability is rejected or neutralised
    When a container is requested with "the <capability> capability added"
    Then the platform rejects or neutralises it

    @HARD-02-SYS-ADMIN @HARD-02
    Examples:
      | capability |
      | SYS_ADMIN |

    @HARD-02-SYS-MODULE @HARD-02
    Examples:
      | capability |
      | SYS_MODULE |

    @HARD-02-SYS-PTRACE @HARD-02
    Examples:
      | capability |
      | SYS_PTRACE |

    @HARD-02-DAC-READ-SEARCH @HARD-02
    Examples:
      | capability |
      | DAC_READ_SEARCH |

    @HARD-02-NET-ADMIN @HARD-02
    Examples:
      | capability |
      | NET_ADMIN |

  @HARD-02-ALL @HARD-02
  Scenario: Every capability added at once is rejected or neutralised
    When a container is requested with "every capability added"
    Then the platform rejects or neutralises it

  Scenario Outline: <what> is rejected or neutralised
    When a container is requested with "<what>"
    Then the platform rejects or neutralises it

    @HARD-03-ROOT @HARD-03
    Examples:
      | what |
      | the host's root directory bind-mounted |

    @HARD-03-ETC @HARD-03
    Examples:
      | what |
      | the host's /etc bind-mounted |

    @HARD-03-PROC @HARD-03
    Examples:
      | what |
      | the host's /proc bind-mounted |

    @HARD-03-SOCKET @HARD-03
    Examples:
      | what |
      | the engine's socket bind-mounted |

    @HARD-03-DEV @HARD-03
    Examples:
      | what |
      | the host's /dev mounted read-only through Mounts |

    @HARD-03-SYS @HARD-03
    Examples:
      | what |
      | the host's /sys mounted read-only through Mounts |

    @HARD-03-BOOT @HARD-03
    Examples:
      | what |
      | the host's /boot mounted read-only through Mounts |

    @HARD-03-LIB @HARD-03
    Examples:
      | what |
      | the host's /lib mounted read-only through Mounts |

    @HARD-03-USR @HARD-03
    Examples:
      | what |
      | the host's /usr mounted read-only through Mounts |

    @HARD-03-VAR-LIB-DOCKER @HARD-03
    Examples:
      | what |
      | the host's /var/lib/docker mounted read-only through Mounts |

    @HARD-03-RUN @HARD-03
    Examples:
      | what |
      | the host's /run mounted read-only through Mounts |

    @HARD-03-HOME-ROOT @HARD-03
    Examples:
      | what |
      | the host's /root mounted read-only through Mounts |

    @HARD-03-HOME @HARD-03
    Examples:
      | what |
      | the host's /home mounted read-only through Mounts |

    @HARD-03-VOLUME @HARD-03
    Examples:
      | what |
      | the host's /etc through a local volume bound to it |

  @HARD-04
  Scenario: The host's pid namespace is rejected or neutralised
    When a container is requested with "the host's pid namespace"
    Then the platform rejects or neutralises it

  @HARD-05
  Scenario: The host's network namespace is rejected or neutralised
    When a container is requested with "the host's network namespace"
    Then the platform rejects or neutralises it

  Scenario Outline: <namespace> is rejected or neutralised
    When a container is requested with "<namespace>"
    Then the platform rejects or neutralises it

    @HARD-06-IPC @HARD-06
    Examples:
      | namespace |
      | the host's ipc namespace |

    @HARD-06-UTS @HARD-06
    Examples:
      | namespace |
      | the host's uts namespace |

    @HARD-06-USER @HARD-06
    Examples:
      | namespace |
      | the host's user namespace |

    @HARD-06-CGROUP @HARD-06
    Examples:
      | namespace |
      | the host's cgroup namespace |

  Scenario Outline: <protection> is rejected or neutralised
    When a container is requested with "<protection>"
    Then the platform rejects or neutralises it

    @HARD-07-SECCOMP @HARD-07
    Examples:
      | protection |
      | seccomp disabled |

    @HARD-07-APPARMOR @HARD-07
    Examples:
      | protection |
      | AppArmor disabled |

    @HARD-07-SELINUX @HARD-07
    Examples:
      | protection |
      | SELinux labelling disabled |

    @HARD-07-SYSTEMPATHS @HARD-07
    Examples:
      | protection |
      | the kernel's system paths unmasked |

  Scenario Outline: <devices> is rejected or neutralised
    When a container is requested with "<devices>"
    Then the platform rejects or neutralises it

    @HARD-08-RULES @HARD-08
    Examples:
      | devices |
      | every device allowed by device cgroup rules |

    @HARD-08-FUSE @HARD-08
    Examples:
      | devices |
      | the host's /dev/fuse passed in as a device |

  @HARD-09
  Scenario: A cgroup parent outside the engine's own is rejected or neutralised
    When a container is requested with "the cgroup parent set to the root cgroup"
    Then the platform rejects or neutralises it

  @HARD-10
  Scenario: A host-level sysctl is rejected or neutralised
    When a container is requested with "a host-level sysctl set to its current value"
    Then the platform rejects or neutralises it

  Scenario Outline: <oom> is rejected or neutralised
    When a container is requested with "<oom>"
    Then the platform rejects or neutralises it

    @HARD-11-OOM-KILL @HARD-11
    Examples:
      | oom |
      | the OOM killer disabled without a memory limit |

    @HARD-11-OOM-SCORE @HARD-11
    Examples:
      | oom |
      | an OOM score adjustment of -1000 |

  @HARD-12
  Scenario: Shared mount propagation is rejected or neutralised
    When a container is requested with "a read-only bind mount with shared propagation"
    Then the platform rejects or neutralises it

  @HARD-13
  Scenario: A privileged exec is rejected or neutralised
    When a privileged exec as root is requested in a running container
    Then the platform rejects or neutralises it
