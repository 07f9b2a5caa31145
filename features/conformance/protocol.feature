@conformance
Feature: Protocol, versioning and error shapes (conformance V1-V8, E1-E6, S4)
  Each row probes the platform with raw HTTP and compares what it answers with stock Docker
  (reference/conformance.md 5.1, 5.5). A divergence passes only when the platform profile declares it.
  Rows tagged @disruptive send malformed input a shared service may not survive: they run on a
  multi-tenant profile only when --tags names it. How each row is probed: docs/conformance.md.

  Scenario Outline: <check>: <what>
    When the platform is probed for "<what>"
    Then it behaves like stock Docker, or as the profile declares

    @CONF-V1
    Examples:
      | check | what |
      | V1    | GET /_ping answers 200 OK |
    @CONF-V2
    Examples:
      | check | what |
      | V2    | HEAD /_ping answers 200 with an empty body |
    @CONF-V3
    Examples:
      | check | what |
      | V3    | /_ping sends an Api-Version header |
    @CONF-V4
    Examples:
      | check | what |
      | V4    | /version has ApiVersion, MinAPIVersion and an Engine component |
    @CONF-V5
    Examples:
      | check | what |
      | V5    | an API version above the maximum is refused with 400 |
    @CONF-V6
    Examples:
      | check | what |
      | V6    | an API version below the minimum is refused with 400 |
    @CONF-V7
    Examples:
      | check | what |
      | V7    | an unversioned path is served |
    @CONF-V8
    Examples:
      | check | what |
      | V8    | a Docker client negotiates the server's own API version |
    @CONF-E1
    Examples:
      | check | what |
      | E1    | an unknown route answers 404 with a JSON message |
    @CONF-E2
    Examples:
      | check | what |
      | E2    | a wrong method on a known path answers 404 page not found |
    @CONF-E3
    Examples:
      | check | what |
      | E3    | a missing container answers 404 with a JSON message |
    @CONF-E4
    Examples:
      | check | what |
      | E4    | create with a text/plain body is refused with 400 |
    @CONF-E5 @disruptive
    Examples:
      | check | what |
      | E5    | malformed filters are refused with a JSON message |
    @CONF-E6
    Examples:
      | check | what |
      | E6    | create with a non-numeric Memory is refused |
    @CONF-S4
    Examples:
      | check | what |
      | S4    | /_ping needs no authentication beyond the transport |
