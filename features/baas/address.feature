@baas
Feature: The person's address (person_creation.person.address)
  Seed 004's "Object address": when an address is sent, every field is required (BAAS-09).

  Background:
    Given a person to register, built from the seed's example

  @BAAS-09
  Scenario Outline: address.<field> is required when an address is sent
    Given the person field "address.<field>" is removed
    When I request an SMS token
    Then the request is rejected as invalid at "/person_creation/person/address/<field>"

    Examples:
      | field        |
      | street       |
      | state        |
      | city         |
      | neighborhood |
      | number       |
      | postal_code  |
      | complement   |

  @BAAS-09
  Scenario Outline: address.<field> accepts <length> characters, its limit
    Given the person field "address.<field>" is a string of <length> characters
    When I request an SMS token
    Then the provider answers 200

    Examples:
      | field        | length |
      | street       | 100    |
      | city         | 100    |
      | neighborhood | 100    |
      | number       | 10     |
      | complement   | 100    |

  @BAAS-09
  Scenario Outline: address.<field> refuses <length> characters, one over its limit
    Given the person field "address.<field>" is a string of <length> characters
    When I request an SMS token
    Then the request is rejected as invalid at "/person_creation/person/address/<field>"

    Examples:
      | field        | length |
      | street       | 101    |
      | city         | 101    |
      | neighborhood | 101    |
      | number       | 11     |
      | complement   | 101    |

  @BAAS-09
  Scenario Outline: address.state "<value>" (two upper-case letters) is accepted
    Given the person field "address.state" is "<value>"
    When I request an SMS token
    Then the provider answers 200

    Examples:
      | value |
      | MG    |
      | SP    |

  @BAAS-09
  Scenario Outline: address.state "<value>" is refused
    Given the person field "address.state" is "<value>"
    When I request an SMS token
    Then the request is rejected as invalid at "/person_creation/person/address/state"

    Examples:
      | value |
      | mg    |
      | M     |
      | MGA   |
      | M1    |

  @BAAS-09
  Scenario Outline: address.postal_code must be 8 digits, not "<value>"
    Given the person field "address.postal_code" is "<value>"
    When I request an SMS token
    Then the request is rejected as invalid at "/person_creation/person/address/postal_code"

    Examples:
      | value     |
      | 3830000   |
      | 383000000 |
      | 38300-000 |
      | 3830000a  |
