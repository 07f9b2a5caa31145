@custom
Feature: A custom attack with its own steps
  Written outside keelhaul and run with
  `keelhaul run examples/custom-attack/features --require examples/custom-attack/steps`.

  @CUSTOM-01
  Scenario: A default container sees only its own processes
    Given a container that lists the processes it can see
    Then it sees at most 5 processes
    And its first process is not the host's init

  @CUSTOM-02
  Scenario: A custom check mixed with keelhaul's generic attack steps
    Given a target container running:
      """
      exec nc -ll -p 7000 -e cat
      """
    And the target listens on port 7000
    When I launch an attack with a timeout of 20 seconds:
      """
      echo "knock knock" | nc -w 3 <target_ip> <target_port>
      """
    Then the attack exits with status 0
    And the attack output contains "knock knock"
    And the target is still running
