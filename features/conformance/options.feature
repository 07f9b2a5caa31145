@conformance
Feature: Create options: read-back and an in-container look (conformance C1-C26)
  A platform can accept an option and ignore it, or echo it in inspect and do something else.
  Each row creates a container with one option, reads it back with inspect, and looks from inside
  the container (cgroup files, /proc/self/status, mounts). C23-C26 are keelhaul's additions
  (env, user, working directory, plain labels); C2, C4 and C17 have one row per option.

  Scenario Outline: <check>: <option> = <value>
    When a container is created with "<option>" set to "<value>"
    Then it behaves like stock Docker, or as the profile declares

    @CONF-C1
    Examples: C1
      | check | option | value |
      | C1 | memory | 100m |

    @CONF-C2
    Examples: C2
      | check | option | value |
      | C2 | cpus | 1.5 |

    @CONF-C2-SHARES
    Examples: C2-SHARES
      | check | option | value |
      | C2-SHARES | cpu-shares | 512 |

    @CONF-C3
    Examples: C3
      | check | option | value |
      | C3 | privileged | true |

    @CONF-C4
    Examples: C4
      | check | option | value |
      | C4 | cap-add | NET_ADMIN |

    @CONF-C4-DROP
    Examples: C4-DROP
      | check | option | value |
      | C4-DROP | cap-drop | CHOWN |

    @CONF-C5
    Examples: C5
      | check | option | value |
      | C5 | security-opt | no-new-privileges |

    @CONF-C6
    Examples: C6
      | check | option | value |
      | C6 | read-only | true |

    @CONF-C7
    Examples: C7
      | check | option | value |
      | C7 | tmpfs | /keelhaul-tmpfs |

    @CONF-C8
    Examples: C8
      | check | option | value |
      | C8 | bind | /etc/os-release |

    @CONF-C10
    Examples: C10
      | check | option | value |
      | C10 | network | none |

    @CONF-C12
    Examples: C12
      | check | option | value |
      | C12 | publish | free:80 |

    @CONF-C14
    Examples: C14
      | check | option | value |
      | C14 | restart-policy | unless-stopped |

    @CONF-C17
    Examples: C17
      | check | option | value |
      | C17 | pids-limit | 64 |

    @CONF-C17-ULIMIT
    Examples: C17-ULIMIT
      | check | option | value |
      | C17-ULIMIT | ulimit | nofile=1234 |

    @CONF-C17-SHM
    Examples: C17-SHM
      | check | option | value |
      | C17-SHM | shm-size | 32m |

    @CONF-C20
    Examples: C20
      | check | option | value |
      | C20 | label | triton.cns.disable=maybe |

    @CONF-C22
    Examples: C22
      | check | option | value |
      | C22 | unknown-field | KeelhaulUnknownField |

    @CONF-C23
    Examples: C23
      | check | option | value |
      | C23 | env | conformance |

    @CONF-C24
    Examples: C24
      | check | option | value |
      | C24 | user | 1234:1234 |

    @CONF-C25
    Examples: C25
      | check | option | value |
      | C25 | workdir | /etc |

    @CONF-C26
    Examples: C26
      | check | option | value |
      | C26 | label | keelhaul.conformance=yes |

  Scenario Outline: <check>: <what>
    When the platform is probed for "<what>"
    Then it behaves like stock Docker, or as the profile declares

    @CONF-C14-INVALID
    Examples: C14-INVALID
      | check | what |
      | C14-INVALID | an unknown restart policy name is refused with 400 |

    @CONF-C19
    Examples: C19
      | check | what |
      | C19 | an unknown runtime is refused with 400 |

    @CONF-C9
    Examples: C9
      | check | what |
      | C9 | VolumesFrom with two source containers is accepted |

    @CONF-C11
    Examples: C11
      | check | what |
      | C11 | a legacy link's alias resolves inside the container |

    @CONF-C16
    Examples: C16
      | check | what |
      | C16 | a health check runs and State.Health becomes healthy |
