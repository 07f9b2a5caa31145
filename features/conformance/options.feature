@conformance
Feature: Create options: read-back and an in-container look (conformance C1-C26)
  A platform can accept an option and ignore it, or echo it in inspect and do something else.
  Each row creates a container with one option and judges it from inspect AND from inside the
  container. A divergence passes only when the platform profile declares it. How each option is
  read back and looked at: docs/conformance.md.

  Scenario Outline: <check>: <option> = <value>
    When a container is created with "<option>" set to "<value>"
    Then it behaves like stock Docker, or as the profile declares

    @CONF-C1
    Examples:
      | check      | option         | value |
      | C1         | memory         | 100m |
    @CONF-C2
    Examples:
      | check      | option         | value |
      | C2         | cpus           | 1.5 |
    @CONF-C2-SHARES
    Examples:
      | check      | option         | value |
      | C2-SHARES  | cpu-shares     | 512 |
    @CONF-C3
    Examples:
      | check      | option         | value |
      | C3         | privileged     | true |
    @CONF-C4
    Examples:
      | check      | option         | value |
      | C4         | cap-add        | NET_ADMIN |
    @CONF-C4-DROP
    Examples:
      | check      | option         | value |
      | C4-DROP    | cap-drop       | CHOWN |
    @CONF-C5
    Examples:
      | check      | option         | value |
      | C5         | security-opt   | no-new-privileges |
    @CONF-C6
    Examples:
      | check      | option         | value |
      | C6         | read-only      | true |
    @CONF-C7
    Examples:
      | check      | option         | value |
      | C7         | tmpfs          | /keelhaul-tmpfs |
    @CONF-C8
    Examples:
      | check      | option         | value |
      | C8         | bind           | /etc/os-release |
    @CONF-C10
    Examples:
      | check      | option         | value |
      | C10        | network        | none |
    @CONF-C12
    Examples:
      | check      | option         | value |
      | C12        | publish        | free:80 |
    @CONF-C14
    Examples:
      | check      | option         | value |
      | C14        | restart-policy | unless-stopped |
    @CONF-C17
    Examples:
      | check      | option         | value |
      | C17        | pids-limit     | 64 |
    @CONF-C17-ULIMIT
    Examples:
      | check      | option         | value |
      | C17-ULIMIT | ulimit         | nofile=1234 |
    @CONF-C17-SHM
    Examples:
      | check      | option         | value |
      | C17-SHM    | shm-size       | 32m |
    @CONF-C20
    Examples:
      | check      | option         | value |
      | C20        | label          | triton.cns.disable=maybe |
    @CONF-C22
    Examples:
      | check      | option         | value |
      | C22        | unknown-field  | KeelhaulUnknownField |
    @CONF-C23
    Examples:
      | check      | option         | value |
      | C23        | env            | conformance |
    @CONF-C24
    Examples:
      | check      | option         | value |
      | C24        | user           | 1234:1234 |
    @CONF-C25
    Examples:
      | check      | option         | value |
      | C25        | workdir        | /etc |
    @CONF-C26
    Examples:
      | check      | option         | value |
      | C26        | label          | keelhaul.conformance=yes |

  Scenario Outline: <check>: <what>
    When the platform is probed for "<what>"
    Then it behaves like stock Docker, or as the profile declares

    @CONF-C14-INVALID
    Examples:
      | check       | what |
      | C14-INVALID | an unknown restart policy name is refused with 400 |
    @CONF-C19
    Examples:
      | check       | what |
      | C19         | an unknown runtime is refused with 400 |
    @CONF-C9
    Examples:
      | check       | what |
      | C9          | VolumesFrom with two source containers is accepted |
    @CONF-C11
    Examples:
      | check       | what |
      | C11         | a legacy link's alias resolves inside the container |
    @CONF-C16
    Examples:
      | check       | what |
      | C16         | a health check runs and State.Health becomes healthy |
