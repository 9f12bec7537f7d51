@baas
Feature: The person's phone (person_creation.person.phone_number)
  Seed 004's "Object phone": every field required, country_code ≤3, area_code ≤2, number digits ≤10
  (BAAS-10). The SMS goes to this phone, so only +55 is ever accepted (BAAS-06).

  Background:
    Given a person to register, built from the seed's example

  @BAAS-10
  Scenario Outline: phone_number.<field> is required
    Given the person field "phone_number.<field>" is removed
    When I request an SMS token
    Then the request is rejected as invalid at "/person_creation/person/phone_number/<field>"

    Examples:
      | field        |
      | country_code |
      | area_code    |
      | number       |

  @BAAS-10 @BAAS-06
  Scenario: a country_code of 3 characters passes the length check, and is refused as a non-Brazilian contact
    Given the person field "phone_number.country_code" is "351"
    When I request an SMS token
    Then the provider answers 400 with error code "ACC000135"

  @BAAS-10
  Scenario: a country_code of 4 characters is refused
    Given the person field "phone_number.country_code" is "5555"
    When I request an SMS token
    Then the request is rejected as invalid at "/person_creation/person/phone_number/country_code"

  @BAAS-10
  Scenario: an area_code of 2 characters is accepted
    Given the person field "phone_number.area_code" is "11"
    When I request an SMS token
    Then the provider answers 200

  @BAAS-10 @DOC-13
  Scenario: an area_code of 3 characters, as in the seed's own example, is refused
    Given the person field "phone_number.area_code" is "888"
    When I request an SMS token
    Then the request is rejected as invalid at "/person_creation/person/phone_number/area_code"

  @BAAS-10
  Scenario: a number of 10 digits is accepted
    Given the person field "phone_number.number" is "9888877770"
    When I request an SMS token
    Then the provider answers 200

  @BAAS-10
  Scenario Outline: the number must be at most 10 digits, not "<value>"
    Given the person field "phone_number.number" is "<value>"
    When I request an SMS token
    Then the request is rejected as invalid at "/person_creation/person/phone_number/number"

    Examples:
      | value       |
      | 98888777701 |
      | 98888-7777  |
      | 9888a7777   |
