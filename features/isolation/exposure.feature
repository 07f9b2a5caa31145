@isolation
Feature: What a default container can do or learn, judged against the profile
  Some isolation beyond Docker's documented defaults is a promise only some platforms make. These
  scenarios report what a container started with no options can do or learn, and fail only where
  the platform's profile promises better.

  How keelhaul checks this, and where it differs from the catalogue: docs/isolation.md.

  @ISO-16
  Scenario: Raw sockets are available only where the profile allows them
    Given a container started with no options
    Then raw sockets work only if the profile's default capabilities include NET_RAW

  @ISO-17
  Scenario: Information that helps an escape is recorded
    Given a container started with no options
    Then what it can learn about the host is recorded

  @ISO-18
  Scenario: Setuid escalation is blocked where it is promised or asked for
    Given a container started with no options
    Then its no_new_privs flag is reported, and required only where the profile promises it
    When a container asks for no-new-privileges
    Then it runs with no_new_privs set
