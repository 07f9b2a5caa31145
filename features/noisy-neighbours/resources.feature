@noisy-neighbours
Feature: Noisy neighbours: resource isolation, measured
  A platform promises each container its own share of memory, CPU, processes and I/O: a neighbour
  that exhausts its own share must not take the victim's, and a limit the platform accepts must hold.
  A control the platform lacks is not applicable; a measurement that cannot be made, or parties that
  cannot be shown to share a host, are inconclusive. How it is measured: docs/noisy-neighbours.md.

  @RES-01
  Scenario: The memory limit is honoured and only the offender is OOM-killed
    Given the platform supports the "MemoryLimit" control
    And a victim container that writes a heartbeat every 0.1 s
    When an offender limited to "32m" of memory and "32m" of memory plus swap allocates "64m"
    And the victim and the offender shared a host
    Then the offender's allocation was killed at its limit
    And only the offender was OOM-killed
    And the victim's heartbeat went on with no gap over 2 seconds
    And what the offender sees of its memory is reported

  @RES-02
  Scenario: Swap and tmpfs cannot carry a container past its memory limit
    Given the platform supports the "SwapLimit" control
    When an offender limited to "32m" of memory and "32m" of memory plus swap writes "48m" to a "128m" /dev/shm
    Then the offender's memory plus swap limit reads "32m" inside
    And the offender's allocation was killed at its limit
    And the host's swap is reported

  @RES-03 @slow
  Scenario: A CPU quota is honoured
    Given the platform supports the "CpuCfsQuota" control
    When a container limited to 0.25 CPUs spins beside an unlimited baseline for 2 trials of 2 seconds
    And the victim and the offender shared a host
    Then the limited container used no more than its quota plus 20% and 0.05 CPUs and was throttled
    And its throughput relative to the unlimited baseline is reported

  @RES-04 @slow
  Scenario: A greedy neighbour cannot starve a victim that needs half the machine
    Given a victim that spins on half of the host's CPUs and a neighbour with no CPU limit that spins on four times as many CPUs as the host has
    When the victim is measured alone and beside the neighbour for 2 trials of 2 seconds
    And the victim and the offender shared a host
    Then the victim kept at least 22% of the CPU that it and the neighbour got together
    And the victim's throughput beside the neighbour relative to alone is reported

  @RES-05 @slow
  Scenario: CPU shares weight containers that contend for one CPU
    Given the platform supports the "CPUShares" control
    And the platform supports the "CPUSet" control
    When containers with CPU shares 4096 and 1024 both spin on CPU "0" for 2 trials of 2 seconds
    And the victim and the offender shared a host
    Then the heavier container's throughput is at least 2 times the lighter one's

  @RES-06
  Scenario: A cpuset pins a container to its CPUs
    Given the platform supports the "CPUSet" control
    And the host has at least 2 CPUs
    When a container pinned to CPU "0" spins on 2 loops for 1 second
    Then it sees 1 CPU and may run only on CPU "0"
    And it used no more than 1 CPU plus 20% and 0.05 CPUs

  @RES-07
  Scenario: A fork flood stops at the pids limit while the victim can still fork
    Given the platform supports the "PidsLimit" control
    When an offender with a pids limit of 50 tries to start 100 processes
    And a victim forks 20 processes while the offender holds its pids
    And the victim and the offender shared a host
    Then the offender's flood stopped at its pids limit
    And the victim forked all 20 processes

  @RES-08
  Scenario: Default limits, and what a container sees of its limits, are reported
    When a container with the platform's default settings reads its own limits
    And a container limited to "128m" and 1 CPU reads what it sees of them
    Then the default pids and memory limits are reported
    And what a limited container sees of its memory and CPUs is reported

  @RES-09
  Scenario: An nproc ulimit is no substitute for a pids limit
    When a container with an nproc ulimit of 10 and a pids limit of 64 tries to start 20 processes
    Then how many processes it started is reported

  @RES-10 @slow
  Scenario: Direct writes are throttled to the device write limit
    Given the platform supports device write limits
    When a container limited to "5m" per second on its data disk writes "10m" directly and "10m" buffered
    Then its direct writes ran no faster than the limit plus 50%
    And whether buffered writes were throttled is reported

  @RES-10-WEIGHT
  Scenario: A blkio weight is applied
    When a container with a blkio weight of 300 reads its I/O weight
    Then its I/O weight is 300

  @RES-11
  Scenario: Disk space a container can fill is bounded or reported
    When a container reports its root file system and writes "16m" to it
    And a container with a "64m" root file system quota writes "96m" to it
    Then the root file system quota held, or its absence is reported

  @RES-12
  Scenario: Log flooding is bounded or reported
    When a container writes "2m" to its standard output
    Then its log rotation is reported

  @RES-13
  Scenario: /dev/shm is bounded
    When a container with the platform's default /dev/shm writes "96m" to it
    Then /dev/shm holds at most "64m" and the write stopped there

  @RES-14
  Scenario: Scheduler priority abuse is refused
    When a container with the platform's default settings tries to raise its CPU and I/O priority
    Then every attempt was refused

  @RES-15
  Scenario: Per-user kernel limits shared with the host are reported
    When a container with the platform's default settings reads its user mapping
    Then whether it shares per-user kernel limits with the host is reported
