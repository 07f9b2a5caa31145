@isolation @deep
Feature: Active isolation probes (opt-in)
  Harmless but active probes, run only when asked for with `--tags @deep`. They change nothing
  outside the container's own namespaces and never write release_agent, core_pattern,
  sysrq-trigger or uevent_helper.

  @ISO-10-DEEP
  Scenario: A container cannot mount a filesystem, even in its own mount namespace
    When it tries to mount a tmpfs in its own mount namespace
    Then the mount is refused
