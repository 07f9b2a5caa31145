@isolation
Feature: Containers are isolated from each other
  Two containers started side by side with no options must not share namespaces, see each other's
  processes or files, or signal each other. The first container leaves a marker in its command line
  and in a file; the second looks for it from the inside.

  How keelhaul checks this, and where it differs from the catalogue: docs/isolation.md.

  @ISO-03
  Scenario: Sibling containers do not share namespaces
    Given two containers started side by side with no options
    Then the second container's "pid, net, ipc, uts, mnt" namespaces differ from the first's
    And the second container's "user, cgroup" namespaces are reported
    And the second container sees at most 10 processes

  @ISO-04
  Scenario: A container cannot see a sibling's processes or files
    Given two containers started side by side with no options
    Then the second container finds no trace of the first container's processes
    And the second container cannot reach the first container's files

  @ISO-05
  Scenario: A container cannot signal a sibling's processes
    Given two containers started side by side with no options
    Then the second container cannot signal the first container's processes
    And the first container is still running
