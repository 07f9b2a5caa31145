@isolation @timing
Feature: Network isolation between containers and from the host
  A container must not reach the engine's API or the host's services, nor containers on other
  networks; on one network, reachability follows the engine's declared inter-container policy, and
  a container must not receive traffic meant for others. Every verdict comes from inside containers
  the scenario created; probes go only to their gateway and to each other, bounded by nc timeouts.

  @ISO-13
  Scenario: The engine's API is not reachable from inside a container
    Then the engine's API does not answer from inside a container on its gateway or the target's address

  @ISO-14
  Scenario: Containers on different networks cannot reach each other
    Given a container "A" serving a token on network "x"
    When a container on network "x" fetches "A"'s token
    And a container on network "y" fetches "A"'s token
    Then the container on network "x" got "A"'s token
    And the container on network "y" did not get "A"'s token

  @ISO-14-BRIDGE
  Scenario: On the default network, reachability follows the engine's policy, and bystanders see no one else's traffic
    Given a container "A" serving a token on network "default"
    When a container on network "default" fetches "A"'s token
    Then reachability on the default network follows the engine's inter-container policy
    And a bystander on network "default" receives less than half of the traffic between two others

  @ISO-15
  Scenario: Host services are not reachable on the container's gateway
    Then none of the host ports "22, 111, 2049, 10250, 6443" on its gateway accepts a connection from inside a container
