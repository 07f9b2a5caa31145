@attacks @tools
Feature: Platform attacks with real tools: nmap, sslscan, curl
  Gauntlt's idea, on the platform itself: real attack tools, each in its own image built without a
  registry (`keelhaul tools build nmap sslscan curl`), run from a tenant container. A scenario whose
  tool has no image on the target is not applicable and names the command that builds it.
  - ATK-01 scans only addresses a tenant container can name without sweeping: its gateway (the host
    as tenants see it), a sibling this scenario starts, and the engine's own address when the target
    is TCP (the engine's port is always forbidden: reaching it from a container is root on the host).
    A connect scan (no raw sockets) of a fixed list of ports: the forbidden ones below, the sibling's
    and the engine's. The sibling's own port must be seen open, or the scan's silence proves nothing.
  - ATK-02 applies to TCP targets. sslscan runs in the host's network namespace (so a loopback
    address is the engine's), else on the default network. A plain-TCP API speaks no TLS: a finding.
  - ATK-03 compares what the sibling's server sends (asked directly) with what comes back through its
    published port: headers added on the way that name a proxy or internal addresses, and a TRACE
    that reflects the request (cross-site tracing), are findings. On Docker and Podman the published
    port is a plain TCP forward, so nothing is added.

  @ATK-01
  Scenario: nmap from a tenant container finds no forbidden port open on the addresses it can name
    Given the "nmap" tool image is on the platform
    And the policy forbids these ports from a tenant container:
      | port  | why                                                        |
      | 22    | ssh: a login on the host or a neighbour                    |
      | 23    | telnet: clear-text logins                                  |
      | 111   | rpcbind: the host's RPC and NFS services                   |
      | 2375  | Docker API without TLS: root on the host for anyone        |
      | 2376  | Docker API with TLS: the host's engine                     |
      | 2377  | Docker swarm management                                    |
      | 2379  | etcd client API: a cluster's state and secrets             |
      | 2380  | etcd peer API                                              |
      | 4243  | Docker API (an old conventional port)                      |
      | 6443  | Kubernetes API server                                      |
      | 10250 | kubelet API: exec into any pod of the node                 |
      | 10255 | kubelet read-only API                                      |
    And a sibling container serving HTTP on port 8080
    When nmap scans, from a tenant container, its gateway, the sibling and the engine's TCP port
    Then the open ports are reported, and no forbidden port is open

  @ATK-02
  Scenario: The engine's TLS API port offers TLS 1.2 or later, strong ciphers and a sound certificate
    Given the target is a TCP engine
    And the "sslscan" tool image is on the platform
    When sslscan reads the engine's API port from a container
    Then the port speaks TLS 1.2 or later only, with no weak cipher suite and a sound certificate

  @ATK-03
  Scenario: A sibling's published port: no header added that names the platform, no TRACE reflected
    Given the "curl" tool image is on the platform
    And a sibling container publishing HTTP on a host port
    When curl asks the sibling with GET, OPTIONS and TRACE, directly and on its published port
    Then the published port answers with the sibling's page, adds no header that names the platform, and does not reflect TRACE
