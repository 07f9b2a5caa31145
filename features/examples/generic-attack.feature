@examples
Feature: Writing an attack in Gherkin only (authoring examples)
  These scenarios use only keelhaul's generic attack steps: a target container, an attack container
  from a tool image you trust, a command with <placeholders>, and assertions on what the attack saw.
  Both containers live on an internal network keelhaul creates for the scenario, are labelled and
  are removed when the scenario ends. See docs/authoring.md.

  @EX-01
  Scenario: A web server serves its page and nothing it should not
    Given the attack values:
      | path | /index.html |
    And a target container from "busybox:latest" running:
      """
      mkdir -p /www && echo "hello from the target" > /www/index.html && exec httpd -f -p 8080 -h /www
      """
    And the target listens on port 8080
    When I launch an attack from "busybox:latest" with a timeout of 20 seconds:
      """
      printf 'GET <path> HTTP/1.0\r\n\r\n' | nc -w 5 <target_ip> <target_port>
      echo "--- traversal"
      printf 'GET /../../etc/passwd HTTP/1.0\r\n\r\n' | nc -w 5 <target_ip> <target_port>
      """
    Then the attack exits with status 0
    And the attack output contains "hello from the target"
    And the attack output does not contain "root:x:0:0"
    And the attack output matches "^HTTP/1\.[01] 200"
    And the attack output has 1 line matching "^HTTP/1\.[01] 200"
    And the target is still running

  @EX-02
  Scenario: Only the port the target means to serve is open
    Given a target container running:
      """
      exec nc -ll -p 7000 -e cat
      """
    And the target listens on port 7000
    When I launch an attack with a timeout of 30 seconds:
      """
      for port in 22 80 443 2375 7000 8080; do
        nc -w 2 <target_ip> $port </dev/null && echo "open $port" || echo "closed $port"
      done
      """
    Then the attack output has 1 line matching "^open "
    And the attack output has at least 5 lines matching "^closed "
    And the attack output contains "open 7000"
