@ports
Feature: Published ports: collisions, hijack and hygiene
  On a shared host, no container may take over, hijack or block a port another container publishes,
  and the platform must report a collision clearly. Where the platform gives each container an
  address of its own, two containers publishing the same port must land on different addresses, each
  still answering for its own container. How it is measured: docs/ports.md.

  @PORT-01
  Scenario: The same host address and port cannot be published twice
    Given a container "A" serving a unique token on a free host port of "127.0.0.1"
    When a container "B" publishes the same host port as "A" on "127.0.0.1"
    Then the second publication is refused as a port collision, or lands on an address of its own
    And every one of 10 requests to "A" gets "A"'s token
    And no container of this scenario is left in Created

  @PORT-02
  Scenario Outline: A wildcard and a specific address overlap (<first> then <second>)
    Given a container "A" serving a unique token on a free host port of "<first>"
    When a container "B" publishes the same host port as "A" on "<second>"
    Then the second publication is refused as a port collision, or lands on an address of its own
    And every one of 10 requests to "A" gets "A"'s token
    And no container of this scenario is left in Created

    Examples:
      | first     | second    |
      | 127.0.0.1 | *         |
      | *         | 127.0.0.1 |

  @PORT-03
  Scenario: A port held by a process outside the platform cannot be taken over
    Given the harness holds a free port of "127.0.0.1" with a listener of its own
    When a container "B" publishes the same host port as "the harness" on "127.0.0.1"
    Then the second publication is refused as a port collision, or lands on an address of its own
    And every one of 10 requests to "the harness" gets "the harness"'s token
    And no container of this scenario is left in Created

  @PORT-04
  Scenario: No hijack after a failed attempt to publish the same port
    Given a container "A" serving a unique token on a free host port of "127.0.0.1"
    When a container "B" publishes the same host port as "A" on "127.0.0.1"
    Then every one of 30 requests to "A" gets "A"'s token

  @PORT-05
  Scenario: Ephemeral host ports are unique and reachable
    When 6 containers each publish container port 8080 on an ephemeral host port of "127.0.0.1"
    Then their published addresses are all different
    And each published address answers with its own container's token

  @PORT-06
  Scenario: Port remapping follows the platform's declared semantics
    When a container "A" publishes container port 8080 on a free host port of "127.0.0.1"
    Then the remapping is honoured, or refused where the profile declares no port remapping

  @PORT-07
  Scenario: Publishing a privileged host port is reported
    When a container "A" publishes a free privileged host port of "127.0.0.1"
    Then whether containers may publish privileged host ports is reported

  @PORT-08
  Scenario: Failed starts leave no Created containers behind
    Given a container "A" serving a unique token on a free host port of "127.0.0.1"
    When a container "B" publishes the same host port as "A" on "127.0.0.1"
    And a container "C" publishes the same host port as "A" on "*"
    Then no container of this scenario is left in Created
    And every one of 5 requests to "A" gets "A"'s token
