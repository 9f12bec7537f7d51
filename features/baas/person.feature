@baas
Feature: The person to register (person_creation.person)
  Required fields, limits and formats of seed 004's "Object person". Limits are proven at the boundary:
  exactly at the limit is accepted, one over is rejected, and the project's request schema must flag
  the same field the provider refused.

  Background:
    Given a person to register, built from the seed's example

  @BAAS-07
  Scenario: person_creation.person is required
    Given the request field "person_creation.person" is removed
    When I request an SMS token
    Then the request is rejected as invalid at "/person_creation/person"

  @BAAS-07
  Scenario Outline: the person's <field> is required
    Given the person field "<field>" is removed
    When I request an SMS token
    Then the request is rejected as invalid at "/person_creation/person/<field>"

    Examples:
      | field                          |
      | date_of_birth                  |
      | document_identification_number |
      | email                          |
      | document_number                |
      | mother_name                    |
      | name                           |
      | nationality                    |
      | birth_place                    |
      | person_type                    |
      | phone_number                   |

    @DOC-12
    Examples: is_pep is required although both seed examples omit it
      | field  |
      | is_pep |

  @BAAS-07
  Scenario Outline: <field> accepts <length> characters, its limit
    Given the person field "<field>" is a string of <length> characters
    When I request an SMS token
    Then the provider answers 200

    Examples:
      | field       | length |
      | mother_name | 100    |
      | name        | 100    |
      | nationality | 50     |
      | birth_place | 50     |

  @BAAS-07
  Scenario Outline: <field> refuses <length> characters, one over its limit
    Given the person field "<field>" is a string of <length> characters
    When I request an SMS token
    Then the request is rejected as invalid at "/person_creation/person/<field>"

    Examples:
      | field       | length |
      | mother_name | 101    |
      | name        | 101    |
      | nationality | 51     |
      | birth_place | 51     |

  @BAAS-07
  Scenario Outline: date_of_birth must be YYYY-MM-DD, not "<value>"
    Given the person field "date_of_birth" is "<value>"
    When I request an SMS token
    Then the request is rejected as invalid at "/person_creation/person/date_of_birth"

    Examples:
      | value      |
      | 1987/01/11 |
      | 11-01-1987 |
      | 19870111   |
      | 1987-13-01 |

  @BAAS-07
  Scenario Outline: document_number is a CPF of 11 digits, not "<value>"
    Given the person field "document_number" is "<value>"
    When I request an SMS token
    Then the request is rejected as invalid at "/person_creation/person/document_number"

    Examples:
      | value          |
      | 6834673450     |
      | 683467345001   |
      | 683.467.345-00 |
      | 6834673450a    |

  @BAAS-07
  Scenario Outline: person_type "<value>" is accepted
    Given the person field "person_type" is "<value>"
    When I request an SMS token
    Then the provider answers 200

    Examples:
      | value   |
      | natural |
      | legal   |

  @BAAS-07
  Scenario Outline: person_type "<value>" is refused
    Given the person field "person_type" is "<value>"
    When I request an SMS token
    Then the request is rejected as invalid at "/person_creation/person/person_type"

    Examples:
      | value   |
      | company |
      | NATURAL |
      |         |

  @BAAS-08
  Scenario Outline: the optional <field> may be left out
    Given the person field "<field>" is removed
    When I request an SMS token
    Then the provider answers 200

    Examples:
      | field       |
      | address     |
      | spouse_name |
      | father_name |
      | profession  |

  @BAAS-08
  Scenario: proof_of_residence may be sent
    Given the person field "proof_of_residence" is "f5c0b7a2-key-of-the-address-proof"
    When I request an SMS token
    Then the provider answers 200

  @BAAS-08
  Scenario Outline: <field> may be null
    Given the person field "<field>" is null
    When I request an SMS token
    Then the provider answers 200

    Examples:
      | field          |
      | gender         |
      | marital_status |
      | representative |
