@conformance
Feature: Container lifecycle and object semantics (conformance L1-L24)
  Status codes and semantics of the lifecycle calls (reference/conformance.md 5.4), including the
  attach handshake `docker run` needs. A divergence passes only when the platform profile declares it.
  How each row is probed and judged: docs/conformance.md.

  Scenario Outline: <check>: <what>
    When the platform is probed for "<what>"
    Then it behaves like stock Docker, or as the profile declares

    @CONF-L1
    Examples:
      | check | what |
      | L1    | starting a running container answers 304 |
    @CONF-L2
    Examples:
      | check | what |
      | L2    | stopping a stopped container answers 304 |
    @CONF-L3
    Examples:
      | check | what |
      | L3    | deleting a running container without force answers 409 |
    @CONF-L4
    Examples:
      | check | what |
      | L4    | a duplicate container name answers 409 |
    @CONF-L5
    Examples:
      | check | what |
      | L5    | create from a missing image answers 404 |
    @CONF-L6
    Examples:
      | check | what |
      | L6    | kill with an invalid signal answers 400 |
    @CONF-L7
    Examples:
      | check | what |
      | L7    | wait reports exit code 3 of sh -c 'exit 3' |
    @CONF-L8
    Examples:
      | check | what |
      | L8    | top honours ps_args=aux |
    @CONF-L9
    Examples:
      | check | what |
      | L9    | inspect with size=1 reports SizeRw and SizeRootFs |
    @CONF-L10
    Examples:
      | check | what |
      | L10   | stats with stream=false gives one full sample |
    @CONF-L11
    Examples:
      | check | what |
      | L11   | logs with timestamps=1 prefixes RFC 3339 times |
    @CONF-L13
    Examples:
      | check | what |
      | L13   | archive HEAD gives the path stat header and GET a tar |
    @CONF-L12
    Examples:
      | check | what |
      | L12   | exec in a stopped container answers 409 |
    @CONF-L20
    Examples:
      | check | what |
      | L20   | /info has NCPU, MemTotal, ServerVersion, SecurityOptions |
    @CONF-L21
    Examples:
      | check | what |
      | L21   | GET /networks lists bridge, host and none |
    @CONF-L23
    Examples:
      | check | what |
      | L23   | GET /events reports create, start and die |
    @CONF-L24
    Examples:
      | check | what |
      | L24   | attach with an HTTP upgrade answers 101 (docker run) |
