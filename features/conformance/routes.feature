@conformance
Feature: Route existence (conformance R1-R28)
  Every route a Docker client relies on must exist. Probes are harmless: missing resources,
  label filters that match nothing, loopback addresses. Rows tagged @billable cost money on a
  shared platform (a build VM, a real volume): they run on a multi-tenant profile only when --tags
  names @billable. How an answer is read as "route missing": docs/conformance.md.

  Scenario Outline: <check>: <command> exists
    When the API is asked '<requests>'
    Then it behaves like stock Docker, or as the profile declares

    @CONF-R1
    Examples:
      | check | command                                    | requests |
      | R1    | events                                     | GET /events?since={now}&until={now} |
    @CONF-R2
    Examples:
      | check | command                                    | requests |
      | R2    | system df                                  | GET /system/df |
    @CONF-R3
    Examples:
      | check | command                                    | requests |
      | R3    | diff                                       | GET /containers/{id}/changes |
    @CONF-R4
    Examples:
      | check | command                                    | requests |
      | R4    | export                                     | GET /containers/{id}/export |
    @CONF-R5
    Examples:
      | check | command                                    | requests |
      | R5    | pause and unpause                          | POST /containers/{id}/pause; POST /containers/{id}/unpause |
    @CONF-R6
    Examples:
      | check | command                                    | requests |
      | R6    | update                                     | POST /containers/{id}/update {"CpuShares":512} |
    @CONF-R7
    Examples:
      | check | command                                    | requests |
      | R7    | container prune                            | POST /containers/prune?filters={"label":["keelhaul.none={run}"]} |
    @CONF-R8
    Examples:
      | check | command                                    | requests |
      | R8    | attach over WebSocket                      | WS GET /containers/{id}/attach/ws?stream=1&stdout=1 |
    @CONF-R9
    Examples:
      | check | command                                    | requests |
      | R9    | import                                     | POST /images/create?fromSrc=http://127.0.0.1:1/keelhaul-none.tar&repo=keelhaul-none |
    @CONF-R10
    Examples:
      | check | command                                    | requests |
      | R10   | save and load                              | GET /images/{image}/get; POST /images/load |
    @CONF-R11
    Examples:
      | check | command                                    | requests |
      | R11   | image and build-cache prune                | POST /images/prune?filters={"label":["keelhaul.none={run}"]}; POST /build/prune?filters={"id":["keelhaul-none-{run}"]} |
    @CONF-R12
    Examples:
      | check | command                                    | requests |
      | R12   | distribution inspect                       | GET /distribution/127.0.0.1:1/keelhaul/none:latest/json |
    @CONF-R13
    Examples:
      | check | command                                    | requests |
      | R13   | network create, connect, disconnect, prune | POST /networks/create {"Name":"keelhaul-conf-r13-{run}","IPAM":{"Config":[{"Subnet":"not-a-subnet"}]},"Labels":{"keelhaul.run":"{run}"}}; POST /networks/keelhaul-none-{run}/connect {"Container":"keelhaul-none"}; POST /networks/keelhaul-none-{run}/disconnect {"Container":"keelhaul-none"}; POST /networks/prune?filters={"label":["keelhaul.none={run}"]} |
    @CONF-R15
    Examples:
      | check | command                                    | requests |
      | R15   | cluster volume update                      | API>=1.42: PUT /volumes/keelhaul-none-{run}?version=1 {} |
    @CONF-R16
    Examples:
      | check | command                                    | requests |
      | R16   | plugins                                    | GET /plugins |
    @CONF-R17
    Examples:
      | check | command                                    | requests |
      | R17   | swarm                                      | GET /swarm |
    @CONF-R18
    Examples:
      | check | command                                    | requests |
      | R18   | services, nodes, tasks, configs            | GET /services; GET /nodes; GET /tasks; GET /configs |
    @CONF-R19
    Examples:
      | check | command                                    | requests |
      | R19   | secrets                                    | GET /secrets |
    @CONF-R20
    Examples:
      | check | command                                    | requests |
      | R20   | session                                    | POST /session |
    @CONF-R22 @billable
    Examples:
      | check | command                                    | requests |
      | R22   | build                                      | POST /build |
    @CONF-R23
    Examples:
      | check | command                                    | requests |
      | R23   | commit                                     | POST /commit?container=keelhaul-none-{run}&repo=keelhaul-none |
    @CONF-R24
    Examples:
      | check | command                                    | requests |
      | R24   | login                                      | POST /auth {"username":"keelhaul","password":"none","serveraddress":"127.0.0.1:1"} |
    @CONF-R25
    Examples:
      | check | command                                    | requests |
      | R25   | push                                       | POST /images/keelhaul-none-{run}/push |
    @CONF-R26
    Examples:
      | check | command                                    | requests |
      | R26   | rename                                     | POST /containers/keelhaul-none-{run}/rename?name=keelhaul-none |
    @CONF-R27
    Examples:
      | check | command                                    | requests |
      | R27   | stats                                      | GET /containers/{id}/stats?stream=false |
    @CONF-R28
    Examples:
      | check | command                                    | requests |
      | R28   | tag                                        | POST /images/keelhaul-none-{run}/tag?repo=keelhaul-none |

  @CONF-R21
  Scenario: R21: exec create, start and inspect work
    When the platform is probed for "exec create 201, start 200, inspect 200"
    Then it behaves like stock Docker, or as the profile declares

  @CONF-R14 @billable
  Scenario: R14: a local volume can be created
    When the platform is probed for "POST /volumes/create with the local driver answers 201"
    Then it behaves like stock Docker, or as the profile declares
