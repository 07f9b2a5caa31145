@isolation
Feature: Tenant to tenant
  On a multi-tenant platform (Triton) an account must not see or touch another account's
  containers. The scenario needs a second account: --peer-target (and --peer-cert-path for its
  certificate folder); without one it is not-applicable with that reason.

  @ISO-25
  Scenario: Another tenant's containers are invisible and untouchable
    Given another tenant runs a container
    Then this tenant can neither see nor touch it
